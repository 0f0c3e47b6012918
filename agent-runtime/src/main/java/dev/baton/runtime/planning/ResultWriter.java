package dev.baton.runtime.planning;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * Writes a finished run's answer to its goal from the task outputs (one model call). The
 * orchestrator calls it off the event loop once a run that asked for an answer ({@code options.answer})
 * has succeeded; its answer goes into
 * the run's {@code result} as {@code answer}, next to the outputs. A failure does not fail the
 * run: the result then carries an {@code answerError}.
 */
@FunctionalInterface
public interface ResultWriter {

    /**
     * Blocks while writing.
     *
     * @return the answer, in words, citing the ids of the tasks whose outputs it used
     * @throws Exception when no answer could be written; its message becomes {@code answerError}
     */
    String answer(Request request) throws Exception;

    /**
     * Writes the answer as {@link #answer(Request)} does, handing each piece of it to
     * {@code onPiece} as the model streams it (the pieces joined are the answer). A writer
     * that cannot stream (the default) hands nothing out and returns the whole text.
     */
    default String answer(Request request, java.util.function.Consumer<String> onPiece) throws Exception {
        return answer(request);
    }

    /**
     * @param runId    the run, for accounting model usage
     * @param goal     the user's goal
     * @param input    the run's input
     * @param outputs  every succeeded task's output, by task id, in plan order
     * @param titles   the tasks' titles (or ids), by task id
     * @param messages the user's follow-up messages, oldest first
     */
    record Request(String runId, String goal, JsonNode input, Map<String, JsonNode> outputs, Map<String, String> titles,
                   List<String> messages) {
    }
}
