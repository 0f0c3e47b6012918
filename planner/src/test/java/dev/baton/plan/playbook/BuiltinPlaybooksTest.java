package dev.baton.plan.playbook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.Catalog;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.builtin.BuiltinTools;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in playbooks must run on a Baton without a model and without custom tools. */
class BuiltinPlaybooksTest {

    /** Only the built-in tools, no agents, no model: what every Baton has. */
    static final Catalog BARE = Catalog.of(
            BuiltinTools.create(ToolSettings.none()).stream().map(BatonTool::descriptor).toList(), List.of(), false);

    @Test
    void everyBuiltInPlaybookValidatesWithTheBuiltInToolsAlone() {
        PlanValidator validator = new PlanValidator(BARE);
        List<Playbook> playbooks = PlaybookLibrary.builtin().all();
        assertFalse(playbooks.isEmpty());
        for (Playbook playbook : playbooks) {
            assertEquals(List.of(), validator.validate(playbook.plan()), playbook.name());
            assertTrue(playbook.goals().size() >= 3, playbook.name() + " needs goal examples to be matched well");
            for (TaskSpec task : playbook.plan().tasks()) {
                assertFalse(task.action() instanceof TaskAction.AgentCall, playbook.name() + " must not need a model");
            }
        }
    }

    @Test
    void theWebhookPostWaitsForApproval() {
        Playbook notify = PlaybookLibrary.builtin().find("notify-webhook").orElseThrow();
        TaskSpec post = notify.plan().task("post").orElseThrow();
        assertTrue(post.approval() != null && post.approval().required());
        assertEquals(Set.of("url", "message"), Set.copyOf(iterate(notify.input().get("required"))));
    }

    private static List<String> iterate(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }
}
