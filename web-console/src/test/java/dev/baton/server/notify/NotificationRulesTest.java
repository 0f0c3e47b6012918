package dev.baton.server.notify;

import dev.baton.server.Config;
import dev.baton.server.ConfigException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules file is checked at start; every fault names the rule and the field. */
class NotificationRulesTest {
    static final Set<String> HOSTS = Set.of("hooks.slack.com", "127.0.0.1");

    static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> NotificationRules.parse(json, HOSTS)).getMessage();
    }

    static String rule(String fields) {
        return "{\"rules\": [{\"name\": \"ok\", \"on\": \"run_failed\", \"webhook\": \"https://hooks.slack.com/x\"}, {" + fields + "}]}";
    }

    @Test
    void aGoodFileIsRead() {
        NotificationRules rules = NotificationRules.parse("""
                {"consoleUrl": "https://baton.example.com/", "retry": {"maxAttempts": 3, "initialBackoff": "2s", "maxBackoff": "PT1M"},
                 "rules": [
                   {"name": "failures", "on": "run_failed", "webhook": "https://hooks.slack.com/services/T/B/X"},
                   {"name": "expiring", "on": "approval_expiring", "before": "10m", "webhook": "https://hooks.slack.com/a"},
                   {"name": "flaky", "on": "task_retried", "moreThan": 2, "webhook": "https://hooks.slack.com/b"},
                   {"name": "slow", "on": "run_sla", "after": "PT30M", "webhook": "http://127.0.0.1:9/c"}]}""", HOSTS);
        assertEquals(4, rules.rules().size());
        assertEquals("https://baton.example.com", rules.consoleUrl());
        assertEquals(Duration.ofMinutes(10), rules.rules().get(1).before());
        assertEquals(2, rules.rules().get(2).moreThan());
        assertEquals(Duration.ofMinutes(30), rules.rules().get(3).after());
        assertEquals(Duration.ofSeconds(2), rules.retry().backoff(1));
        assertEquals(Duration.ofSeconds(8), rules.retry().backoff(3));
        assertEquals(Duration.ofMinutes(1), rules.retry().backoff(20), "capped at maxBackoff");
        assertEquals(Duration.ofHours(1), rules.catchUp());
    }

    @Test
    void everyFaultNamesTheRuleAndTheField() {
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_exploded\", \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'on' must be one of"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_failed\", \"webhook\": \"https://evil.example.com/x\""))
                .startsWith("rule 'x' field 'webhook': host 'evil.example.com' is not on BATON_HTTP_ALLOWED_HOSTS"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_failed\", \"webhook\": \"ftp://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'webhook' must be an absolute http or https URL"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"approval_expiring\", \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'before' must be a positive duration"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_sla\", \"after\": \"soon\", \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'after' must be a positive duration like PT5M, 30s, 5m or 2h; got 'soon'"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"task_retried\", \"moreThan\": -1, \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'moreThan' must be a whole number"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_failed\", \"moreThan\": 1, \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'x' field 'moreThan' applies to task_retried rules only"));
        assertTrue(error(rule("\"name\": \"x\", \"on\": \"run_failed\", \"webhook\": \"https://hooks.slack.com/x\", \"colour\": 1"))
                .startsWith("rule 'x' has unknown field 'colour'"));
        assertTrue(error(rule("\"name\": \"ok\", \"on\": \"run_failed\", \"webhook\": \"https://hooks.slack.com/x\""))
                .startsWith("rule 'ok' field 'name': the name is used twice"));
        assertTrue(error(rule("\"name\": \"bad name\", \"on\": \"run_failed\""))
                .startsWith("rules[1] field 'name' must be"));
        assertTrue(error("{\"rules\": []}").startsWith("field 'rules' must be a non-empty array"));
        assertTrue(error("{\"rules\": [").startsWith("not valid JSON"));
    }

    @Test
    void theSettingIsReadAtStartAndItsErrorsNameIt() throws Exception {
        Path dir = Files.createTempDirectory("baton-rules-");
        Path file = dir.resolve("rules.json");
        Files.writeString(file, "{\"rules\": [{\"name\": \"f\", \"on\": \"run_failed\", \"webhook\": \"https://hooks.slack.com/x\"}]}");
        Config config = Config.load(new String[]{"--notifications", file.toString(), "--http-allowed-hosts", "hooks.slack.com"}, Map.of());
        assertEquals("f", config.notifications().rules().get(0).name());
        assertNull(Config.load(new String[0], Map.of()).notifications());

        String message = assertThrows(ConfigException.class, () -> Config.load(new String[0],
                Map.of("BATON_NOTIFICATIONS", file.toString()))).getMessage();
        assertTrue(message.startsWith("BATON_NOTIFICATIONS (--notifications) '" + file + "': rule 'f' field 'webhook': host 'hooks.slack.com'"), message);
        String missing = assertThrows(ConfigException.class, () -> Config.load(new String[]{"--notifications", dir.resolve("nope.json").toString()},
                Map.of())).getMessage();
        assertTrue(missing.contains("cannot read"), missing);
    }
}
