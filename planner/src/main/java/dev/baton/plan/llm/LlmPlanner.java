package dev.baton.plan.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanLimits;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Asks a chat model for a plan, validates it, and has the model repair it a bounded number of
 * times. The model is any LangChain4j {@link ChatModel}, so the planner knows nothing of HTTP,
 * of retries (the model or a gateway around it does those) or of Baton's runtime.
 *
 * <p>One call of {@link #plan} is one conversation: a system message that states the plan
 * format, the rules and the tools and agents; a user message with the goal and the run's input
 * (and, when replanning, the run so far); then the model's answer. The answer is asked for in
 * JSON mode where the model supports it, and the JSON object is also found inside prose or a
 * {@code ```json} fence. It is read with {@link PlanParser} and checked with
 * {@link PlanValidator}; when it fails, the problems go back to the model in a follow-up user
 * message, keeping the conversation, and the model is asked for a corrected full plan, at most
 * {@link #maxRepairs()} times.
 *
 * <p><b>Replanning.</b> With a {@link RunSoFar}, the tasks that succeeded are kept and never
 * redone. The model writes only the new tasks for the unfinished part, and may use the kept
 * tasks' outputs as {@code ${id.output...}} and name them in {@code dependsOn}. The planner
 * then puts the kept tasks, unchanged from the previous plan, in front of the new ones and
 * validates the whole with the ordinary {@link PlanValidator}: references to kept tasks
 * resolve like any other, and cycles, duplicate ids and schemas are checked across both.
 * The {@link PlanningOutcome.Planned} plan is that whole plan; the orchestrator recognises
 * the kept tasks by their ids, already succeeded. Besides the validator's problems, a replan
 * is rejected when a new task takes the id of a kept task with a different content (a copy
 * identical to the kept task is simply dropped), reuses the id of a task of the previous plan
 * that is not kept (new tasks get new ids, so the journal's history of the old ones stays
 * unambiguous), repeats a kept tool call with the same tool and arguments, or has no new task.
 *
 * <p>Immutable and thread-safe; build one with {@link #builder()}.
 */
public final class LlmPlanner {

    /** The model's plan was still invalid after the last repair. */
    public static final String PLAN_INVALID = "plan_invalid_after_repairs";
    /** The model's last answer held no readable JSON object. */
    public static final String PLAN_NOT_JSON = "plan_not_json";
    /** The model call failed (after whatever retries the model does itself). */
    public static final String MODEL_ERROR = "model_error";
    /** The conversation grew beyond {@link #maxPromptChars()}. */
    public static final String PROMPT_TOO_LARGE = "prompt_too_large";

    private final int maxRepairs;
    private final int maxOutputChars;
    private final int maxPromptChars;
    private final PlanLimits limits;
    private final boolean jsonMode;

    private LlmPlanner(Builder builder) {
        this.maxRepairs = builder.maxRepairs;
        this.maxOutputChars = builder.maxOutputChars;
        this.maxPromptChars = builder.maxPromptChars;
        this.limits = builder.limits;
        this.jsonMode = builder.jsonMode;
    }

    /** A planner with the defaults: 2 repairs, 4,000 characters per output, 200,000 per prompt. */
    public static LlmPlanner defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How many times an invalid plan is sent back for repair; 2 by default. */
    public int maxRepairs() {
        return maxRepairs;
    }

    /** The most characters of one task output, error, user message or of the run's input the prompt shows; 4,000 by default. */
    public int maxOutputChars() {
        return maxOutputChars;
    }

    /** The most characters the whole conversation may reach before a model call; 200,000 by default. */
    public int maxPromptChars() {
        return maxPromptChars;
    }

    /** The limits plans are validated with. */
    public PlanLimits limits() {
        return limits;
    }

    /** Whether the model is asked for JSON output ({@link ResponseFormat#JSON}); true by default. */
    public boolean jsonMode() {
        return jsonMode;
    }

    /**
     * Plans for the request: a first plan, or a replan when the request has a {@link RunSoFar}.
     * Never throws for what the model does; a failed model call is a {@link PlanningOutcome.Failed}.
     */
    public PlanningOutcome plan(PlanningRequest request, ChatModel model) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(model, "model");
        PlanPrompt prompt = new PlanPrompt(this);
        PlanValidator validator = new PlanValidator(request.catalog(), limits);
        List<ChatMessage> conversation = new ArrayList<>();
        conversation.add(SystemMessage.from(prompt.system(request)));
        conversation.add(UserMessage.from(prompt.request(request)));
        List<List<PlanProblem>> rejected = new ArrayList<>();
        List<PlanProblem> last = List.of();
        boolean lastNotJson = false;
        boolean useJsonMode = jsonMode;
        int attempts = 0;
        while (attempts <= maxRepairs) {
            int size = size(conversation);
            if (size > maxPromptChars) {
                return new PlanningOutcome.Failed(PROMPT_TOO_LARGE, "the planning prompt takes " + size
                        + " characters; the limit is " + maxPromptChars + " (fewer tools, a smaller input or a higher maxPromptChars)",
                        last, attempts);
            }
            String answer;
            try {
                ChatResponse response;
                try {
                    response = model.chat(chatRequest(conversation, useJsonMode));
                } catch (UnsupportedFeatureException e) {
                    if (!useJsonMode) throw e;
                    useJsonMode = false; // this model has no JSON mode: ask again without it
                    response = model.chat(chatRequest(conversation, false));
                }
                answer = response.aiMessage() == null ? null : response.aiMessage().text();
            } catch (RuntimeException e) {
                return new PlanningOutcome.Failed(MODEL_ERROR, "the model call failed: " + describe(e), last, attempts);
            }
            attempts++;
            conversation.add(AiMessage.from(answer == null ? "" : answer));
            Attempt attempt = read(answer, request, validator);
            if (attempt.plan != null) return new PlanningOutcome.Planned(attempt.plan, attempts, rejected);
            last = attempt.problems;
            lastNotJson = attempt.notJson;
            rejected.add(last);
            if (attempts <= maxRepairs) {
                conversation.add(UserMessage.from(prompt.repair(last, lastNotJson, request.runSoFar() != null)));
            }
        }
        String problems = last.stream().map(PlanProblem::toString).collect(Collectors.joining("; "));
        String code = lastNotJson ? PLAN_NOT_JSON : PLAN_INVALID;
        String what = lastNotJson ? "no JSON plan" : "no valid plan";
        return new PlanningOutcome.Failed(code, "the model gave " + what + " in " + attempts + " answers ("
                + maxRepairs + " repairs); the last one: " + problems, last, attempts);
    }

    private static ChatRequest chatRequest(List<ChatMessage> conversation, boolean json) {
        ChatRequest.Builder builder = ChatRequest.builder().messages(List.copyOf(conversation));
        if (json) builder.responseFormat(ResponseFormat.JSON);
        return builder.build();
    }

    /** One answer read: a plan that passed, or its problems. */
    private record Attempt(Plan plan, List<PlanProblem> problems, boolean notJson) {
        static Attempt rejected(List<PlanProblem> problems, boolean notJson) {
            return new Attempt(null, problems, notJson);
        }
    }

    private Attempt read(String answer, PlanningRequest request, PlanValidator validator) {
        String text = JsonAnswer.extract(answer);
        if (text == null) {
            String seen = answer == null || answer.isBlank() ? "the answer was empty"
                    : "the answer holds no JSON object: " + PlanPrompt.truncate(answer.strip(), 200);
            return Attempt.rejected(List.of(new PlanProblem(null, null, seen)), true);
        }
        JsonNode json;
        try {
            json = Json.parse(text);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            return Attempt.rejected(List.of(new PlanProblem(null, null, "malformed JSON: " + e.getOriginalMessage() + at)), true);
        }
        Plan plan;
        try {
            plan = PlanParser.parse(json);
        } catch (PlanException e) {
            return Attempt.rejected(e.problems(), false);
        }
        List<PlanProblem> problems = new ArrayList<>();
        if (request.runSoFar() != null) plan = withKeptTasks(plan, request.runSoFar(), problems);
        problems.addAll(validator.validate(plan));
        return problems.isEmpty() ? new Attempt(plan, List.of(), false) : Attempt.rejected(problems, false);
    }

    /**
     * The kept tasks of the previous plan followed by the model's new tasks, recording what a
     * replan must not do (see the class comment).
     */
    private static Plan withKeptTasks(Plan tail, RunSoFar run, List<PlanProblem> problems) {
        Map<String, TaskSpec> previous = run.previousPlan().byId();
        List<TaskSpec> kept = new ArrayList<>();
        Set<String> keptIds = new HashSet<>();
        for (RunSoFar.Succeeded succeeded : run.succeeded()) {
            kept.add(previous.get(succeeded.id()));
            keptIds.add(succeeded.id());
        }
        List<TaskSpec> fresh = new ArrayList<>();
        for (TaskSpec task : tail.tasks()) {
            if (keptIds.contains(task.id())) {
                if (!task.equals(previous.get(task.id()))) {
                    problems.add(new PlanProblem(task.id(), "id", "task '" + task.id() + "' already succeeded and is kept: "
                            + "do not redo or change it; leave it out and use its output as ${" + task.id() + ".output...}"));
                }
                continue; // an unchanged copy of a kept task is the kept task
            }
            if (previous.containsKey(task.id())) {
                problems.add(new PlanProblem(task.id(), "id", "id '" + task.id() + "' belongs to a task of the previous plan "
                        + "that did not succeed; give new tasks new ids (e.g. '" + task.id() + "-2')"));
            }
            TaskSpec same = sameToolCall(task, kept);
            if (same != null) {
                problems.add(new PlanProblem(task.id(), "tool", "repeats the succeeded task '" + same.id()
                        + "' (same tool and arguments): leave it out and use ${" + same.id() + ".output...} instead"));
            }
            fresh.add(task);
        }
        if (fresh.isEmpty()) {
            problems.add(new PlanProblem(null, "tasks", "the plan has no new tasks; it must hold the tasks still needed "
                    + "to reach the goal (the succeeded tasks are kept without being listed)"));
        }
        List<TaskSpec> all = new ArrayList<>(kept);
        all.addAll(fresh);
        return new Plan(all);
    }

    private static TaskSpec sameToolCall(TaskSpec task, List<TaskSpec> kept) {
        if (!(task.action() instanceof TaskAction.ToolCall call)) return null;
        for (TaskSpec other : kept) {
            if (other.action() instanceof TaskAction.ToolCall done && done.tool().equals(call.tool()) && done.args().equals(call.args())) {
                return other;
            }
        }
        return null;
    }

    private static int size(List<ChatMessage> conversation) {
        int total = 0;
        for (ChatMessage message : conversation) {
            if (message instanceof SystemMessage system) total += system.text().length();
            else if (message instanceof UserMessage user) total += user.singleText().length();
            else if (message instanceof AiMessage ai && ai.text() != null) total += ai.text().length();
        }
        return total;
    }

    private static String describe(RuntimeException e) {
        String message = e.getMessage();
        String text = e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
        return PlanPrompt.truncate(text, 500);
    }

    /** Configures an {@link LlmPlanner}; every setting has a default. */
    public static final class Builder {
        private int maxRepairs = 2;
        private int maxOutputChars = 4_000;
        private int maxPromptChars = 200_000;
        private PlanLimits limits = PlanLimits.DEFAULT;
        private boolean jsonMode = true;

        private Builder() {
        }

        /** How many times an invalid plan goes back to the model; 0 accepts the first answer or fails. */
        public Builder maxRepairs(int value) {
            if (value < 0) throw new IllegalArgumentException("maxRepairs must be 0 or more, was " + value);
            this.maxRepairs = value;
            return this;
        }

        /** The most characters of one task output (or error, message, input) shown in the prompt. */
        public Builder maxOutputChars(int value) {
            if (value < 1) throw new IllegalArgumentException("maxOutputChars must be at least 1, was " + value);
            this.maxOutputChars = value;
            return this;
        }

        /** The most characters the conversation may reach before a model call. */
        public Builder maxPromptChars(int value) {
            if (value < 1) throw new IllegalArgumentException("maxPromptChars must be at least 1, was " + value);
            this.maxPromptChars = value;
            return this;
        }

        /** The limits plans are validated with. */
        public Builder limits(PlanLimits value) {
            this.limits = Objects.requireNonNull(value, "limits");
            return this;
        }

        /** Whether to ask for JSON output ({@link ResponseFormat#JSON}); models without it are asked again without. */
        public Builder jsonMode(boolean value) {
            this.jsonMode = value;
            return this;
        }

        public LlmPlanner build() {
            return new LlmPlanner(this);
        }
    }
}
