package dev.baton.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Reads a plan from its JSON form (see DESIGN.md, "The plan") and checks its shape strictly:
 * every field of the right type, no unknown field (so a typo such as {@code dependOn} is
 * caught), exactly one of {@code tool}, {@code agent} and {@code wait} per task. It collects
 * every problem before it fails, each naming the task and the field at fault.
 *
 * <p>The shape, all fields but {@code id} and the task's kind optional:
 * <pre>{@code
 * {"version": 1,
 *  "tasks": [{"id": "route", "title": "...",
 *             "tool": "tickets.route", "args": {...}     (a tool call; args default to {})
 *          |  "agent": "triager", "instruction": "..."   (an agent task)
 *          |  "wait": "PT2H",                            (a durable timer)
 *             "dependsOn": ["classify"],
 *             "approval": "required" | "none" | {"required": true, "timeout": "PT1H", "onTimeout": "reject"|"escalate"},
 *             "retry": {"maxAttempts": 3, "backoff": "PT1S", "maxBackoff": "PT30S"},
 *             "timeout": "PT30S",
 *             "when": "classify.output.category == 'refund'",  (a condition, see dev.baton.plan.condition)
 *             "join": "all" | "any",
 *             "fallback": {"tool": "...", "args": {...}} | {"agent": "...", "instruction": "..."},
 *             "continueOnError": true,
 *             "compensate": {"tool": "...", "args": {...}}    (tool tasks only)}]}
 * }</pre>
 * A JSON {@code null} counts as an absent field. In an approval object, {@code required}
 * defaults to true. Durations are ISO-8601 ({@code PT2S}), at most {@link #MAX_DURATION}. Whether the tools, agents and
 * referenced tasks exist is the {@link PlanValidator}'s business.
 */
public final class PlanParser {

    /** What a task id may be. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /**
     * Whether {@code id} is a valid task id, i.e. matches {@link #ID}: checked for every task by
     * the parser and again by the validator, so without a regular expression.
     */
    static boolean isValidId(String id) {
        int length = id.length();
        if (length < 1 || length > 64) return false;
        for (int i = 0; i < length; i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            if (!ok) return false;
        }
        return true;
    }

    /** The root of {@code ${input...}} references, so no task may have it as its id. */
    public static final String RESERVED_ID = "input";

    static final List<String> PLAN_FIELDS = List.of("version", "tasks");
    static final List<String> TASK_FIELDS = List.of("id", "title", "tool", "args", "agent", "instruction", "wait",
            "dependsOn", "approval", "retry", "timeout", "when", "join", "fallback", "continueOnError", "compensate");
    static final List<String> FALLBACK_FIELDS = List.of("tool", "args", "agent", "instruction");
    static final List<String> COMPENSATE_FIELDS = List.of("tool", "args");
    static final List<String> APPROVAL_FIELDS = List.of("required", "timeout", "onTimeout");
    static final List<String> RETRY_FIELDS = List.of("maxAttempts", "backoff", "maxBackoff");
    static final int MAX_ATTEMPTS = 100;
    /**
     * The longest duration a plan may name (a wait, a timeout, a backoff): ten years. Longer ones
     * are refused here, where the field can be named, rather than overflowing the timer
     * arithmetic later ({@code Instant.plus}, {@code toMillis}), where a run could not be recovered.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);
    /** {@link #MAX_DURATION} as messages name it ({@code Duration.toString} would say PT87600H). */
    public static final String MAX_DURATION_TEXT = "P3650D";

    private PlanParser() {
    }

    /** Parses JSON text; malformed JSON is a problem like any other. */
    public static Plan parse(String text) throws PlanException {
        JsonNode body;
        try {
            body = Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new PlanException(List.of(new PlanProblem(null, null, "malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()))));
        }
        return parse(body);
    }

    /**
     * Reads a plan.
     *
     * @throws PlanException with every shape problem found
     */
    public static Plan parse(JsonNode body) throws PlanException {
        ProblemList problems = new ProblemList();
        if (body == null || !body.isObject()) {
            problems.add(null, null, "a plan must be a JSON object with a 'tasks' array, found " + Shape.of(body));
            throw new PlanException(problems.toList());
        }
        Fields plan = new Fields(problems, null, "");
        plan.rejectUnknown(body, PLAN_FIELDS, "");
        JsonNode version = Fields.present(body, "version");
        if (version != null && !version.isNumber()) plan.wrongType("version", "a number", version);

        List<TaskSpec> tasks = new ArrayList<>();
        JsonNode array = Fields.present(body, "tasks");
        if (array == null) {
            problems.add(null, "tasks", "missing: a plan needs a 'tasks' array");
        } else if (!array.isArray()) {
            plan.wrongType("tasks", "an array", array);
        } else {
            for (int i = 0; i < array.size(); i++) {
                TaskSpec task = new TaskReader(problems, array.get(i), i).read();
                if (task != null) tasks.add(task);
            }
        }
        if (!problems.isEmpty()) throw new PlanException(problems.toList());
        return new Plan(tasks);
    }

    /** Reads one task; returns null when it has problems (already recorded). */
    private static final class TaskReader {
        private final ProblemList problems;
        private final JsonNode node;
        private final int index;
        private Fields fields;

        TaskReader(ProblemList problems, JsonNode node, int index) {
            this.problems = problems;
            this.node = node;
            this.index = index;
        }

        TaskSpec read() {
            String at = "tasks[" + index + "]";
            if (!node.isObject()) {
                problems.add(null, at, "expected a task object, found " + Shape.of(node));
                return null;
            }
            String id = id(at);
            fields = id == null ? new Fields(problems, null, at + ".") : new Fields(problems, id, "");
            int before = problemCount();
            fields.rejectUnknown(node, TASK_FIELDS, "");
            String title = fields.string(node, "title");
            TaskAction action = action();
            List<String> dependsOn = dependsOn();
            ApprovalSpec approval = approval();
            PlanRetry retry = retry();
            Duration timeout = fields.duration(node, "timeout", "timeout", true);
            Flow flow = flow(action);
            if (id == null || problemCount() != before || action == null) return null;
            return new TaskSpec(id, title, action, dependsOn, approval, retry, timeout, flow);
        }

        private int problemCount() {
            return problems.count();
        }

        /** The task's id, or null (with a problem) when it has none that is valid. */
        private String id(String at) {
            JsonNode id = Fields.present(node, "id");
            if (id == null) {
                problems.add(null, at + ".id", "missing: every task needs an id (1 to 64 letters, digits, '_' or '-')");
                return null;
            }
            if (!id.isTextual()) {
                problems.add(null, at + ".id", "expected a string, found " + Shape.of(id));
                return null;
            }
            String text = id.textValue();
            if (!isValidId(text)) {
                problems.add(null, at + ".id", "id " + id + " must be 1 to 64 letters, digits, '_' or '-'");
                return null;
            }
            if (text.equals(RESERVED_ID)) {
                problems.add(text, "id", "'input' is reserved for the run's input (${input...}); choose another id");
            }
            return text;
        }

        private TaskAction action() {
            List<String> kinds = new ArrayList<>();
            for (String kind : List.of("tool", "agent", "wait")) {
                if (Fields.present(node, kind) != null) kinds.add(kind);
            }
            if (kinds.isEmpty()) {
                fields.problem(null, "a task needs exactly one of 'tool' (with 'args'), 'agent' (with 'instruction') or 'wait'");
                return null;
            }
            if (kinds.size() > 1) {
                fields.problem(kinds.get(1), "'" + kinds.get(0) + "' and '" + kinds.get(1)
                        + "' cannot be combined: a task is exactly one of a tool call, an agent task or a wait");
                return null;
            }
            String kind = kinds.get(0);
            if (!kind.equals("tool") && Fields.present(node, "args") != null) {
                fields.problem("args", "'args' belongs to tool tasks, and this is " + article(kind) + " task");
            }
            if (!kind.equals("agent") && Fields.present(node, "instruction") != null) {
                fields.problem("instruction", "'instruction' belongs to agent tasks, and this is " + article(kind) + " task");
            }
            return switch (kind) {
                case "tool" -> toolCall();
                case "agent" -> agentCall();
                default -> wait(fields.duration(node, "wait", "wait", false));
            };
        }

        private static String article(String kind) {
            return kind.equals("agent") ? "an agent" : "a " + kind;
        }

        private TaskAction toolCall() {
            String tool = fields.nonBlankString(node, "tool");
            JsonNode args = Fields.present(node, "args");
            ObjectNode copy = Json.object();
            if (args != null && !args.isObject()) {
                fields.wrongType("args", "an object", args);
            } else if (args != null) {
                copy = args.deepCopy();
            }
            return tool == null ? null : new TaskAction.ToolCall(tool, copy);
        }

        private TaskAction agentCall() {
            String agent = fields.nonBlankString(node, "agent");
            String instruction = null;
            if (Fields.present(node, "instruction") == null) {
                fields.problem("instruction", "missing: an agent task needs an 'instruction' saying what to do");
            } else {
                instruction = fields.nonBlankString(node, "instruction");
            }
            return agent == null || instruction == null ? null : new TaskAction.AgentCall(agent, instruction);
        }

        private static TaskAction wait(Duration duration) {
            return duration == null ? null : new TaskAction.Wait(duration);
        }

        private List<String> dependsOn() {
            JsonNode array = Fields.present(node, "dependsOn");
            if (array == null) return List.of();
            if (!array.isArray()) {
                fields.wrongType("dependsOn", "an array of task ids", array);
                return List.of();
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < array.size(); i++) {
                JsonNode id = array.get(i);
                if (id.isTextual()) ids.add(id.textValue());
                else fields.wrongType("dependsOn[" + i + "]", "a string", id);
            }
            return ids;
        }

        private ApprovalSpec approval() {
            JsonNode approval = Fields.present(node, "approval");
            if (approval == null) return null;
            if (approval.isTextual() && approval.textValue().equals("required")) return ApprovalSpec.REQUIRED;
            if (approval.isTextual() && approval.textValue().equals("none")) return new ApprovalSpec(false, null, null);
            if (!approval.isObject()) {
                fields.problem("approval", "expected \"required\", \"none\" or an object {\"required\", \"timeout\", \"onTimeout\"}, found "
                        + Shape.of(approval) + (approval.isTextual() ? " " + approval : ""));
                return null;
            }
            fields.rejectUnknown(approval, APPROVAL_FIELDS, "approval.");
            boolean required = true;
            JsonNode flag = Fields.present(approval, "required");
            if (flag != null && !flag.isBoolean()) fields.wrongType("approval.required", "a boolean", flag);
            else if (flag != null) required = flag.booleanValue();
            Duration timeout = fields.duration(approval, "timeout", "approval.timeout", true);
            ApprovalSpec.ExpiryPolicy onTimeout = null;
            JsonNode expiry = Fields.present(approval, "onTimeout");
            if (expiry != null) {
                for (ApprovalSpec.ExpiryPolicy policy : ApprovalSpec.ExpiryPolicy.values()) {
                    if (expiry.isTextual() && expiry.textValue().equals(policy.wire())) onTimeout = policy;
                }
                if (onTimeout == null) fields.problem("approval.onTimeout", "expected \"reject\" or \"escalate\", found " + Shape.of(expiry)
                            + (expiry.isTextual() ? " " + expiry : ""));
            }
            return new ApprovalSpec(required, timeout, onTimeout);
        }

        /** The flow fields; whether the condition parses is the validator's business. */
        private Flow flow(TaskAction action) {
            String when = fields.nonBlankString(node, "when");
            Flow.Join join = null;
            JsonNode joinNode = Fields.present(node, "join");
            if (joinNode != null) {
                if (joinNode.isTextual() && joinNode.textValue().equals("all")) join = Flow.Join.ALL;
                else if (joinNode.isTextual() && joinNode.textValue().equals("any")) join = Flow.Join.ANY;
                else fields.problem("join", "expected \"all\" or \"any\", found " + Shape.of(joinNode)
                            + (joinNode.isTextual() ? " " + joinNode : ""));
            }
            boolean continueOnError = false;
            JsonNode flag = Fields.present(node, "continueOnError");
            if (flag != null && !flag.isBoolean()) fields.wrongType("continueOnError", "a boolean", flag);
            else if (flag != null) continueOnError = flag.booleanValue();
            TaskAction fallback = fallback();
            TaskAction.ToolCall compensate = null;
            JsonNode undo = Fields.present(node, "compensate");
            if (undo != null) {
                if (action != null && !(action instanceof TaskAction.ToolCall)) {
                    fields.problem("compensate", "'compensate' belongs to tool tasks, and this is " + article(action.kind()) + " task");
                } else {
                    compensate = toolCall(undo, "compensate", COMPENSATE_FIELDS);
                }
            }
            if (when == null && join == null && fallback == null && !continueOnError && compensate == null) return Flow.NONE;
            return new Flow(when, join, fallback, continueOnError, compensate);
        }

        private TaskAction fallback() {
            JsonNode fallback = Fields.present(node, "fallback");
            if (fallback == null) return null;
            if (!fallback.isObject()) {
                fields.wrongType("fallback", "an object {\"tool\", \"args\"} or {\"agent\", \"instruction\"}", fallback);
                return null;
            }
            boolean tool = Fields.present(fallback, "tool") != null;
            boolean agent = Fields.present(fallback, "agent") != null;
            if (tool == agent) {
                fields.problem("fallback", "a fallback needs exactly one of 'tool' (with 'args') or 'agent' (with 'instruction')");
                return null;
            }
            if (tool) {
                if (Fields.present(fallback, "instruction") != null) {
                    fields.problem("fallback.instruction", "'instruction' belongs to agent fallbacks, and this is a tool call");
                }
                return toolCall(fallback, "fallback", FALLBACK_FIELDS);
            }
            fields.rejectUnknown(fallback, FALLBACK_FIELDS, "fallback.");
            if (Fields.present(fallback, "args") != null) {
                fields.problem("fallback.args", "'args' belongs to tool fallbacks, and this is an agent task");
            }
            JsonNode agentName = Fields.present(fallback, "agent");
            JsonNode instruction = Fields.present(fallback, "instruction");
            if (!agentName.isTextual() || agentName.textValue().isBlank()) {
                fields.wrongType("fallback.agent", "a non-empty string", agentName);
                return null;
            }
            if (instruction == null || !instruction.isTextual() || instruction.textValue().isBlank()) {
                fields.problem("fallback.instruction", "missing: an agent fallback needs an 'instruction' saying what to do");
                return null;
            }
            return new TaskAction.AgentCall(agentName.textValue(), instruction.textValue());
        }

        /** {@code {"tool", "args"}} inside {@code field}. */
        private TaskAction.ToolCall toolCall(JsonNode object, String field, List<String> known) {
            if (!object.isObject()) {
                fields.wrongType(field, "an object {\"tool\", \"args\"}", object);
                return null;
            }
            fields.rejectUnknown(object, known, field + ".");
            JsonNode tool = Fields.present(object, "tool");
            if (tool == null || !tool.isTextual() || tool.textValue().isBlank()) {
                fields.problem(field + ".tool", tool == null ? "missing: name the tool to call" : "expected a non-empty string, found " + Shape.of(tool));
                return null;
            }
            JsonNode args = Fields.present(object, "args");
            if (args != null && !args.isObject()) {
                fields.wrongType(field + ".args", "an object", args);
                return null;
            }
            return new TaskAction.ToolCall(tool.textValue(), args == null ? Json.object() : args.deepCopy());
        }

        private PlanRetry retry() {
            JsonNode retry = Fields.present(node, "retry");
            if (retry == null) return null;
            if (!retry.isObject()) {
                fields.wrongType("retry", "an object {\"maxAttempts\", \"backoff\", \"maxBackoff\"}", retry);
                return null;
            }
            fields.rejectUnknown(retry, RETRY_FIELDS, "retry.");
            Integer maxAttempts = null;
            JsonNode attempts = Fields.present(retry, "maxAttempts");
            if (attempts != null) {
                if (!attempts.isIntegralNumber() || !attempts.canConvertToInt()) {
                    fields.wrongType("retry.maxAttempts", "an integer", attempts);
                } else if (attempts.intValue() < 1 || attempts.intValue() > MAX_ATTEMPTS) {
                    fields.problem("retry.maxAttempts", "must be between 1 and " + MAX_ATTEMPTS + ", found " + attempts.intValue());
                } else {
                    maxAttempts = attempts.intValue();
                }
            }
            Duration backoff = fields.duration(retry, "backoff", "retry.backoff", false);
            Duration maxBackoff = fields.duration(retry, "maxBackoff", "retry.maxBackoff", false);
            return new PlanRetry(maxAttempts, backoff, maxBackoff);
        }
    }

    /** Reads typed fields of one task (or of the plan), recording problems against it. */
    private static final class Fields {
        private final ProblemList problems;
        private final String taskId;
        private final String prefix;

        Fields(ProblemList problems, String taskId, String prefix) {
            this.problems = problems;
            this.taskId = taskId;
            this.prefix = prefix;
        }

        /** Records a problem; a null field means the task as a whole. */
        void problem(String field, String message) {
            String named = field == null ? (prefix.isEmpty() ? null : prefix.substring(0, prefix.length() - 1)) : prefix + field;
            problems.add(taskId, named, message);
        }

        void wrongType(String field, String expected, JsonNode found) {
            problem(field, "expected " + expected + ", found " + Shape.of(found));
        }

        /**
         * Durations as written, parsed once: plans repeat a few ({@code PT0S}, {@code PT30S}) in
         * every task, and {@link Duration#parse} runs a regular expression. Only short texts, and
         * at most {@value #KEPT_DURATIONS} of them, are kept (past that, each is parsed as it comes).
         */
        private static final Map<String, Duration> DURATIONS = new ConcurrentHashMap<>();
        private static final int KEPT_DURATIONS = 1024;

        private static Duration parseDuration(String text) {
            Duration known = DURATIONS.get(text);
            if (known != null) return known;
            Duration parsed = Duration.parse(text); // throws DateTimeParseException, never kept
            if (text.length() <= 32 && DURATIONS.size() < KEPT_DURATIONS) DURATIONS.putIfAbsent(text, parsed);
            return parsed;
        }

        /** The field's value, or null when absent or JSON null. */
        static JsonNode present(JsonNode object, String name) {
            JsonNode value = object.get(name);
            return value == null || value.isNull() ? null : value;
        }

        void rejectUnknown(JsonNode object, List<String> known, String fieldPrefix) {
            for (Map.Entry<String, JsonNode> entry : object.properties()) {
                String name = entry.getKey();
                if (known.contains(name)) continue;
                problem(fieldPrefix + name, "unknown field '" + name + "'" + Suggestions.didYouMean(name, known)
                        + " (known: " + String.join(", ", known) + ")");
            }
        }

        String string(JsonNode object, String name) {
            JsonNode value = present(object, name);
            if (value == null) return null;
            if (!value.isTextual()) {
                wrongType(name, "a string", value);
                return null;
            }
            return value.textValue();
        }

        String nonBlankString(JsonNode object, String name) {
            String text = string(object, name);
            if (text != null && text.isBlank()) {
                problem(name, "must not be empty");
                return null;
            }
            return text;
        }

        /** An ISO-8601 duration: never negative, and not zero either when {@code positive}. */
        Duration duration(JsonNode object, String name, String field, boolean positive) {
            JsonNode value = present(object, name);
            if (value == null) return null;
            if (!value.isTextual()) {
                problem(field, "expected an ISO-8601 duration string such as \"PT2S\", found " + Shape.of(value));
                return null;
            }
            Duration duration;
            try {
                duration = parseDuration(value.textValue());
            } catch (DateTimeParseException e) {
                problem(field, "expected an ISO-8601 duration such as \"PT2S\", \"PT5M\" or \"P1D\", found " + value);
                return null;
            }
            if (duration.isNegative() || (positive && duration.isZero())) {
                problem(field, "must be " + (positive ? "positive" : "zero or more") + ", found " + value);
                return null;
            }
            if (duration.compareTo(MAX_DURATION) > 0) {
                problem(field, "must be at most " + MAX_DURATION_TEXT + " (ten years), found " + value);
                return null;
            }
            return duration;
        }
    }

    /** The JSON type of a value, as messages name it. */
    static final class Shape {
        private Shape() {
        }

        static String of(JsonNode value) {
            if (value == null || value.isMissingNode()) return "nothing";
            if (value.isTextual()) return "string";
            if (value.isNumber()) return "number";
            if (value.isBoolean()) return "boolean";
            if (value.isNull()) return "null";
            if (value.isArray()) return "array";
            if (value.isObject()) return "object";
            return value.getNodeType().toString().toLowerCase();
        }
    }
}
