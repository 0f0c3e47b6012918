package dev.baton.runtime.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns events into JSON and back: {@code data} as stored in the journal, and the whole
 * event as the API sends it ({@code {"seq","runId","type","taskId","at","data"}}).
 */
public final class EventCodec {

    private static final Map<String, Class<? extends EventData>> TYPES = new HashMap<>();

    /**
     * Reads stored data back as it was written: a null {@code JsonNode} field (say, RunCreated's
     * {@code options}) stays null. Jackson's default would turn it into a {@code NullNode}, so an
     * event read from the journal would differ from the one appended.
     */
    private static final ObjectMapper READER = Json.MAPPER.copy().registerModule(
            new SimpleModule("baton-event-data").addDeserializer(JsonNode.class, new NullKeepingNodeDeserializer()));

    private static final class NullKeepingNodeDeserializer extends StdDeserializer<JsonNode> {
        private static final JsonDeserializer<? extends JsonNode> DEFAULT_NODES = JsonNodeDeserializer.getDeserializer(JsonNode.class);

        NullKeepingNodeDeserializer() {
            super(JsonNode.class);
        }

        @Override
        public JsonNode deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return DEFAULT_NODES.deserialize(p, ctxt);
        }

        @Override
        public JsonNode getNullValue(DeserializationContext ctxt) {
            return null;
        }
    }

    static {
        for (Class<?> type : EventData.class.getPermittedSubclasses()) {
            if (type.isRecord()) register(type);
            if (type == EventData.TaskEvent.class) {
                for (Class<?> sub : type.getPermittedSubclasses()) register(sub);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void register(Class<?> type) {
        TYPES.put(type.getSimpleName(), (Class<? extends EventData>) type);
    }

    private EventCodec() {
    }

    /** The JSON text of an event's data, as the journal stores it. */
    public static String dataToJson(EventData data) {
        return Json.write(data);
    }

    /** Rebuilds an event's data from its type name and stored JSON. */
    public static EventData dataFromJson(String type, String json) {
        Class<? extends EventData> cls = TYPES.get(type);
        if (cls == null) throw new IllegalArgumentException("unknown event type '" + type + "' in the journal");
        try {
            return READER.readValue(json, cls);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("corrupt " + type + " event in the journal: " + e.getOriginalMessage(), e);
        }
    }

    /** The event as the API shows it. */
    public static ObjectNode toApiJson(RunEvent event) {
        ObjectNode node = Json.object();
        node.put("seq", event.seq());
        node.put("runId", event.runId());
        node.put("type", event.type());
        String taskId = event.taskId();
        if (taskId == null) node.putNull("taskId"); else node.put("taskId", taskId);
        node.put("at", event.at().toString());
        JsonNode data = Json.toTree(event.data());
        node.set("data", data);
        return node;
    }

    /** Rebuilds an event from its stored columns. */
    public static RunEvent fromStored(String runId, long seq, String type, Instant at, String dataJson) {
        return new RunEvent(seq, runId, at, dataFromJson(type, dataJson));
    }
}
