package dev.baton.runtime.planning;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Writes a run's answer with a chat model: a short prompt with the goal, the run's input, the
 * user's messages and each task's output (truncated), asking for an answer that cites the task
 * ids it used.
 */
public final class LlmResultWriter implements ResultWriter {
    private final Function<String, ChatModel> modelForRun;
    private final Streamer streamer;
    private final int maxOutputChars;

    /**
     * @param modelForRun    the chat model for a run's result call (by run id)
     * @param maxOutputChars the most characters of one task output the prompt shows
     */
    public LlmResultWriter(Function<String, ChatModel> modelForRun, int maxOutputChars) {
        this(modelForRun, null, maxOutputChars);
    }

    /**
     * @param modelForRun    the chat model for a run's result call (by run id)
     * @param streamer       streams a run's result call (by run id), or null to answer in one piece
     * @param maxOutputChars the most characters of one task output the prompt shows
     */
    public LlmResultWriter(Function<String, ChatModel> modelForRun, Streamer streamer, int maxOutputChars) {
        this.modelForRun = modelForRun;
        this.streamer = streamer;
        this.maxOutputChars = maxOutputChars;
    }

    /** A streaming call for a run, e.g. {@code ModelGateway.stream} with the run's context. */
    @FunctionalInterface
    public interface Streamer {
        ChatResponse stream(String runId, ChatRequest request, Consumer<String> onPiece);
    }

    public LlmResultWriter(Function<String, ChatModel> modelForRun) {
        this(modelForRun, 4_000);
    }

    static final String SYSTEM = "You write the final answer of a run of Baton, an agent orchestrator. The run's tasks are done."
            + " Answer the user's goal from the task outputs only; do not invent facts they do not support."
            + " Cite the ids of the tasks whose outputs you used in square brackets, e.g. [fetch]."
            + " If the outputs do not answer the goal, say so. Answer briefly; you may use simple Markdown (lists, emphasis, code).";

    @Override
    public String answer(Request request) {
        return answer(request, piece -> { });
    }

    @Override
    public String answer(Request request, Consumer<String> onPiece) {
        ChatRequest chat = ChatRequest.builder()
                .messages(SystemMessage.from(SYSTEM), UserMessage.from(prompt(request)))
                .build();
        ChatResponse response = streamer != null ? streamer.stream(request.runId(), chat, onPiece)
                : modelForRun.apply(request.runId()).chat(chat);
        String text = response.aiMessage() == null ? null : response.aiMessage().text();
        if (text == null || text.isBlank()) throw new IllegalStateException("the model's answer was empty");
        return text.strip();
    }

    String prompt(Request request) {
        StringBuilder text = new StringBuilder();
        text.append("Goal: ").append(request.goal()).append("\n\n");
        if (request.input() != null && !request.input().isEmpty()) {
            text.append("Input: ").append(truncate(request.input().toString())).append("\n\n");
        }
        if (!request.messages().isEmpty()) {
            text.append("Follow-up instructions from the user, oldest first:\n");
            for (String m : request.messages()) text.append("- ").append(truncate(m)).append('\n');
            text.append('\n');
        }
        text.append("Task outputs:\n");
        for (Map.Entry<String, JsonNode> e : request.outputs().entrySet()) {
            String title = request.titles().get(e.getKey());
            text.append("- [").append(e.getKey()).append(']');
            if (title != null && !title.equals(e.getKey())) text.append(" (").append(title).append(')');
            text.append(": ").append(truncate(e.getValue() == null ? "null" : e.getValue().toString())).append('\n');
        }
        text.append("\nAnswer the goal, citing the task ids you used.");
        return text.toString();
    }

    private String truncate(String s) {
        if (s.length() <= maxOutputChars) return s;
        return s.substring(0, maxOutputChars) + "... (" + (s.length() - maxOutputChars) + " more characters)";
    }
}
