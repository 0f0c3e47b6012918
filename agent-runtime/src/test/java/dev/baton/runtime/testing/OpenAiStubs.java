package dev.baton.runtime.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

/** Answers in OpenAI's chat.completions wire format, for WireMock to send (shared with web-console's tests). */
public final class OpenAiStubs {

    private OpenAiStubs() {
    }

    /** One tool call: {@code arguments} is the JSON text the model sends (a string on the wire). */
    public record Call(String id, String function, String arguments) {
    }

    public static Call call(String id, String function, String arguments) {
        return new Call(id, function, arguments);
    }

    public static String toolCalls(int promptTokens, int completionTokens, Call... calls) {
        ObjectNode message = Json.object();
        message.put("role", "assistant");
        message.putNull("content");
        ArrayNode list = message.putArray("tool_calls");
        for (Call call : calls) {
            ObjectNode item = list.addObject();
            item.put("id", call.id());
            item.put("type", "function");
            item.putObject("function").put("name", call.function()).put("arguments", call.arguments());
        }
        return completion(message, "tool_calls", promptTokens, completionTokens);
    }

    public static String answer(String text, int promptTokens, int completionTokens) {
        ObjectNode message = Json.object();
        message.put("role", "assistant");
        message.put("content", text);
        return completion(message, "stop", promptTokens, completionTokens);
    }

    /**
     * A streamed answer as OpenAI sends it ({@code stream: true}): a {@code text/event-stream} body of
     * {@code data: {chat.completion.chunk}} lines, one per piece (the first with the role), a last chunk
     * with the finish reason, one with the usage, then {@code data: [DONE]}.
     */
    public static String streamed(int promptTokens, int completionTokens, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) {
            ObjectNode delta = Json.object();
            if (i == 0) delta.put("role", "assistant");
            delta.put("content", pieces[i]);
            out.append("data: ").append(Json.write(chunk(delta, null))).append("\n\n");
        }
        out.append("data: ").append(Json.write(chunk(Json.object(), "stop"))).append("\n\n");
        ObjectNode usageChunk = chunk(null, null);
        ObjectNode usage = usageChunk.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        out.append("data: ").append(Json.write(usageChunk)).append("\n\n");
        out.append("data: [DONE]\n\n");
        return out.toString();
    }

    private static ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode body = Json.object();
        body.put("id", "chatcmpl-stream");
        body.put("object", "chat.completion.chunk");
        body.put("created", 1_700_000_000L);
        body.put("model", "gpt-test");
        var choices = body.putArray("choices");
        if (delta != null) {
            ObjectNode choice = choices.addObject();
            choice.put("index", 0);
            choice.set("delta", delta);
            choice.putNull("logprobs");
            if (finishReason == null) choice.putNull("finish_reason"); else choice.put("finish_reason", finishReason);
        }
        return body;
    }

    private static String completion(ObjectNode message, String finishReason, int promptTokens, int completionTokens) {
        ObjectNode body = Json.object();
        body.put("id", "chatcmpl-test");
        body.put("object", "chat.completion");
        body.put("created", 1_700_000_000L);
        body.put("model", "gpt-test");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return Json.write(body);
    }
}
