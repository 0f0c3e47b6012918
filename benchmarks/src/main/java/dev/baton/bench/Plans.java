package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

/** The plans the benchmarks submit, built as JSON like a client would post them. */
final class Plans {

    private Plans() {
    }

    /** {@code n} independent zero-length waits: {"id":"t<i>","wait":"PT0S"}. */
    static JsonNode independentWaits(int n) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int i = 0; i < n; i++) tasks.addObject().put("id", "t" + i).put("wait", "PT0S");
        return plan;
    }

    /**
     * {@code n} zero-length waits in a chain: t<i> depends on t<i-1>. Listed in dependency order,
     * or last task first ({@code reversed}); the graph is the same either way.
     */
    static JsonNode chainOfWaits(int n, boolean reversed) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int k = 0; k < n; k++) {
            int i = reversed ? n - 1 - k : k;
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("wait", "PT0S");
            if (i > 0) task.putArray("dependsOn").add("t" + (i - 1));
        }
        return plan;
    }

    /** {@code n} independent calls of the built-in {@code echo} tool with small arguments. */
    static JsonNode independentEchoes(int n) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int i = 0; i < n; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i).put("tool", "echo");
            task.putObject("args").put("i", i);
        }
        return plan;
    }

    /** {@code depth} layers of {@code width} calls of {@code tool} with no arguments; every task of layer k+1 depends on every task of layer k. */
    static JsonNode layers(int width, int depth, String tool) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int layer = 0; layer < depth; layer++) {
            for (int j = 0; j < width; j++) {
                ObjectNode task = tasks.addObject().put("id", "l" + layer + "_" + j).put("tool", tool);
                task.putObject("args");
                if (layer > 0) {
                    ArrayNode deps = task.putArray("dependsOn");
                    for (int k = 0; k < width; k++) deps.add("l" + (layer - 1) + "_" + k);
                }
            }
        }
        return plan;
    }

    /** {@code depth} layers of {@code width} GETs of {@code url}; every task of layer k+1 depends on every task of layer k. */
    static JsonNode httpLayers(int width, int depth, String url) {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        for (int layer = 0; layer < depth; layer++) {
            for (int j = 0; j < width; j++) {
                ObjectNode task = tasks.addObject().put("id", "l" + layer + "_" + j).put("tool", "http.request");
                task.putObject("args").put("method", "GET").put("url", url);
                if (layer > 0) {
                    ArrayNode deps = task.putArray("dependsOn");
                    for (int k = 0; k < width; k++) deps.add("l" + (layer - 1) + "_" + k);
                }
            }
        }
        return plan;
    }

    /** One echo task gated on an approval ({@code gate}), then one echo task that depends on it ({@code after}). */
    static JsonNode gatedPair() {
        ObjectNode plan = Json.object();
        ArrayNode tasks = plan.putArray("tasks");
        ObjectNode gate = tasks.addObject().put("id", "gate").put("tool", "echo").put("approval", "required");
        gate.putObject("args").put("step", "gate");
        ObjectNode after = tasks.addObject().put("id", "after").put("tool", "echo");
        after.putObject("args").put("step", "after");
        after.putArray("dependsOn").add("gate");
        return plan;
    }
}
