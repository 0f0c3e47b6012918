package dev.baton.tools.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class McpToolFlagsTest {

    private static final McpServerSpec SPEC = McpServerSpec.stdio("srv", "node", List.of(), Map.of());

    private static Boolean hint(String text) {
        return text.equals("-") ? null : Boolean.valueOf(text);
    }

    /** '-' is an absent hint; 'none' in the first column means no annotations object at all. */
    @ParameterizedTest(name = "readOnly={0} destructive={1} idempotent={2}")
    @CsvSource(delimiter = '|', textBlock = """
            none  | -     | -     | true  | false
            -     | -     | -     | true  | false
            false | -     | -     | true  | false
            -     | true  | -     | true  | false
            false | true  | true  | true  | true
            true  | -     | -     | false | true
            true  | false | false | false | true
            true  | true  | -     | true  | true
            false | false | -     | false | false
            -     | false | true  | false | true
            """)
    void annotationsSetTheFlags(String readOnly, String destructive, String idempotent, boolean approval, boolean isIdempotent) {
        McpSchema.ToolAnnotations annotations = readOnly.equals("none") ? null
                : new McpSchema.ToolAnnotations(null, hint(readOnly), hint(destructive), hint(idempotent), null, null);
        assertEquals(approval, McpTool.requiresApproval(SPEC, "t", annotations));
        assertEquals(isIdempotent, McpTool.idempotent(annotations));
    }

    @Test
    void theConfigurationLiftsOrForcesApproval() {
        McpSchema.ToolAnnotations readOnly = new McpSchema.ToolAnnotations(null, true, false, true, null, null);
        McpServerSpec spec = SPEC.withApprovalNotRequired(Set.of("t", "both")).withApprovalRequired(Set.of("r", "both"));
        assertEquals(false, McpTool.requiresApproval(spec, "t", null), "approvalNotRequired lifts the default");
        assertEquals(true, McpTool.requiresApproval(spec, "r", readOnly), "approvalRequired forces it on a read-only tool");
        assertEquals(true, McpTool.requiresApproval(spec, "both", readOnly), "approvalRequired wins over approvalNotRequired");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            srv     | get-sum                  | srv.get-sum
            srv     | repo/create issue        | srv.repo_create_issue
            srv     | résumé.v2                | srv.r_sum__v2
            srv     | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | srv.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
            """)
    void registryNames(String server, String tool, String expected) {
        assertEquals(expected, McpTool.registryName(server, tool));
        assertEquals(true, expected.length() <= 64);
    }
}
