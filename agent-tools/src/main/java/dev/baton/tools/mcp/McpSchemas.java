package dev.baton.tools.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * MCP tools' input schemas in the dialect Baton checks by (JSON Schema 2020-12). Most servers
 * today declare draft-07 ({@code "$schema": "http://json-schema.org/draft-07/schema#"}: the
 * TypeScript SDK's zod schemas do), which MCP allowed until 2025-11-25 made 2020-12 the default.
 * For the schemas tools have, the two drafts say the same but for three things, rewritten here:
 * the draft-04/06/07 {@code $schema} is dropped, {@code items} given as an array (a schema per
 * position) becomes {@code prefixItems}, and {@code additionalItems} beside it becomes
 * {@code items}. {@code definitions} and {@code dependencies} Baton's validator honours as
 * they are. Anything else the validator refuses, and the tool is skipped with a WARN that says why.
 */
final class McpSchemas {

    private static final Pattern OLD_DRAFT = Pattern.compile("https?://json-schema\\.org/draft-0[4-7]/schema#?");
    private static final Set<String> ONE_SCHEMA = Set.of("additionalProperties", "items", "additionalItems", "contains", "propertyNames",
            "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema");
    private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "dependentSchemas", "$defs", "definitions");

    private McpSchemas() {
    }

    /** A copy of {@code schema} rewritten to 2020-12 where it was written for an earlier draft. */
    static ObjectNode toDraft2020(ObjectNode schema) {
        ObjectNode copy = schema.deepCopy();
        JsonNode declared = copy.get("$schema");
        if (declared != null && declared.isTextual() && OLD_DRAFT.matcher(declared.asText()).matches()) {
            copy.remove("$schema");
            rewrite(copy);
        }
        return copy;
    }

    private static void rewrite(ObjectNode schema) {
        JsonNode items = schema.get("items");
        if (items != null && items.isArray()) {
            schema.set("prefixItems", items);
            schema.remove("items");
            JsonNode additional = schema.remove("additionalItems");
            if (additional != null) schema.set("items", additional);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String keyword = entry.getKey();
            JsonNode value = entry.getValue();
            if (ONE_SCHEMA.contains(keyword) && value.isObject()) {
                rewrite((ObjectNode) value);
            } else if (SCHEMA_LISTS.contains(keyword) && value.isArray()) {
                for (JsonNode member : (ArrayNode) value) if (member.isObject()) rewrite((ObjectNode) member);
            } else if ((SCHEMA_MAPS.contains(keyword) || keyword.equals("dependencies")) && value.isObject()) {
                value.fields().forEachRemaining(member -> {
                    if (member.getValue().isObject()) rewrite((ObjectNode) member.getValue());
                });
            }
        }
    }
}
