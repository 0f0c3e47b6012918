package dev.baton.runtime.planning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

/**
 * A run that continues an earlier one: a follow-up typed in the chat after the earlier run had
 * finished. The server writes the link into the new run's options as {@code continues} (the
 * earlier run's id) and {@code previous} (a small, bounded summary of the earlier run: its goal,
 * status and answer or outputs), and a model planner reads that summary as context. A summary is
 * at most a few kilobytes whatever the earlier run held, so a long conversation does not grow
 * the prompt or the journal without bound: each run carries only the one before it.
 */
public final class FollowUp {
    /** The option naming the run this one continues. */
    public static final String LINK = "continues";
    /** The option holding the summary of that run. */
    public static final String PREVIOUS = "previous";

    static final int MAX_GOAL = 500;
    static final int MAX_ANSWER = 2_000;
    static final int MAX_OUTPUTS = 2_000;

    private FollowUp() {
    }

    /**
     * The bounded summary of an earlier run, from the run as the API shows it.
     */
    public static ObjectNode summary(JsonNode run) {
        ObjectNode summary = Json.object();
        summary.put("runId", run.path("id").asText());
        summary.put("goal", cut(run.path("goal").asText(""), MAX_GOAL));
        summary.put("status", run.path("status").asText());
        JsonNode result = run.path("result");
        if (result.path("answer").isTextual()) {
            summary.put("answer", cut(result.path("answer").asText(), MAX_ANSWER));
        } else if (result.isObject() && !result.isEmpty()) {
            ObjectNode outputs = result.deepCopy();
            outputs.remove("answer");
            outputs.remove("answerError");
            if (!outputs.isEmpty()) summary.put("outputs", cut(outputs.toString(), MAX_OUTPUTS));
        }
        JsonNode error = run.path("error");
        if (error.isObject()) summary.put("error", cut(error.path("code").asText("") + ": " + error.path("message").asText(""), MAX_ANSWER));
        return summary;
    }

    /** The options of a run that continues {@code previousRun}: {@code options} plus the link and the summary. */
    public static ObjectNode link(JsonNode options, JsonNode previousRun) {
        ObjectNode linked = options instanceof ObjectNode o ? o.deepCopy() : Json.object();
        linked.put(LINK, previousRun.path("id").asText());
        linked.set(PREVIOUS, summary(previousRun));
        return linked;
    }

    /**
     * The goal as a model planner should read it: for a follow-up, the earlier run's goal and
     * outcome first, then the new goal; any other goal unchanged.
     */
    public static String goalWithContext(String goal, JsonNode options) {
        JsonNode previous = options == null ? null : options.get(PREVIOUS);
        if (previous == null || !previous.isObject()) return goal;
        StringBuilder text = new StringBuilder("This goal follows up an earlier run (")
                .append(previous.path("runId").asText()).append(", ").append(previous.path("status").asText()).append(").\n")
                .append("Earlier goal: ").append(previous.path("goal").asText()).append('\n');
        if (previous.hasNonNull("answer")) text.append("Earlier answer: ").append(previous.path("answer").asText()).append('\n');
        if (previous.hasNonNull("outputs")) text.append("Earlier task outputs: ").append(previous.path("outputs").asText()).append('\n');
        if (previous.hasNonNull("error")) text.append("Earlier error: ").append(previous.path("error").asText()).append('\n');
        return text.append("Goal now: ").append(goal).toString();
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }
}
