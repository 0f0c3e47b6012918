package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * One tool of an MCP server, as a Baton {@link BatonTool}: named {@code <server>.<tool>}, its MCP
 * input schema as its parameters, its flags from the tool's annotations and the server's
 * configuration (see {@link #requiresApproval} and {@link #idempotent}). A call goes to the
 * server's current connection.
 */
final class McpTool implements BatonTool {

    private static final int MAX_NAME = 64;

    private final McpConnection connection;
    private final String mcpName;
    private final ToolDescriptor descriptor;

    McpTool(McpConnection connection, String mcpName, ToolDescriptor descriptor) {
        this.connection = connection;
        this.mcpName = mcpName;
        this.descriptor = descriptor;
    }

    @Override
    public ToolDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        return connection.call(mcpName, args, context);
    }

    String mcpName() {
        return mcpName;
    }

    /**
     * The registry name of MCP tool {@code tool} of {@code server}: {@code server.tool}, every
     * character outside {@code [A-Za-z0-9_-]} of the tool's name replaced by {@code _}, cut at 64.
     */
    static String registryName(String server, String tool) {
        String name = server + "." + tool.replaceAll("[^A-Za-z0-9_-]", "_");
        return name.length() > MAX_NAME ? name.substring(0, MAX_NAME) : name;
    }

    /** The descriptor of {@code tool} of the server {@code spec} describes. */
    static ToolDescriptor descriptor(McpServerSpec spec, McpSchema.Tool tool) {
        String description = tool.description() != null && !tool.description().isBlank() ? tool.description()
                : tool.title() != null ? tool.title() : "";
        ObjectNode parameters = tool.inputSchema() == null ? ToolDescriptor.emptyObjectSchema()
                : McpSchemas.toDraft2020(Json.MAPPER.valueToTree(tool.inputSchema()));
        return ToolDescriptor.builder(registryName(spec.name(), tool.name()))
                .description(description)
                .parameters(parameters)
                .idempotent(idempotent(tool.annotations()))
                .requiresApproval(requiresApproval(spec, tool.name(), tool.annotations()))
                .timeout(spec.timeout())
                .source(spec.source())
                .build();
    }

    /**
     * Whether every call needs a person's approval. MCP's annotations are hints whose defaults
     * assume the worst: a tool that says nothing may destroy. So: listed in {@code approvalRequired}
     * -> yes, whatever else; listed in {@code approvalNotRequired} -> no; no annotations -> yes;
     * {@code destructiveHint: true} -> yes (also beside a contradicting {@code readOnlyHint: true});
     * {@code readOnlyHint: true} -> no; {@code destructiveHint: false} -> no; else (neither hint
     * said) -> yes, MCP's default being destructive.
     */
    static boolean requiresApproval(McpServerSpec spec, String tool, McpSchema.ToolAnnotations annotations) {
        if (spec.approvalRequired().contains(tool)) return true;
        if (spec.approvalNotRequired().contains(tool)) return false;
        if (annotations == null) return true;
        if (Boolean.TRUE.equals(annotations.destructiveHint())) return true;
        if (Boolean.TRUE.equals(annotations.readOnlyHint())) return false;
        return !Boolean.FALSE.equals(annotations.destructiveHint());
    }

    /** {@code idempotentHint: true}, or a read-only tool (reading twice does no more than once). */
    static boolean idempotent(McpSchema.ToolAnnotations annotations) {
        return annotations != null && (Boolean.TRUE.equals(annotations.idempotentHint()) || Boolean.TRUE.equals(annotations.readOnlyHint()));
    }
}
