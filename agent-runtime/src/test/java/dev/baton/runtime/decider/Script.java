package dev.baton.runtime.decider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.PlanValidator;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.run.RunState;
import dev.baton.tools.ToolRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Drives a {@link RunDecider} by hand, as a table test reads: a plan, then inputs at given
 * times, each answered with its decision rendered as short lines ("TaskStarted a#1",
 * "StartTool a#1 TASK echo"). It plays the shell's part only as far as facts go: it remembers
 * which calls the decisions started and which ended, and how many slots are free.
 */
final class Script {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final RunDecider decider;
    final RunState run = new RunState("run-1");
    private final Set<String> inFlight = new HashSet<>();
    private final int slots;
    private Instant now = T0;

    Script(ToolRegistry tools, OrchestratorOptions options) {
        this.decider = new RunDecider(options, tools, new PlanCheck(new PlanValidator(
                RuntimeCatalog.of(tools, options.agents(), options.models() != null), options.planLimits())));
        this.slots = options.maxConcurrentCalls();
    }

    /** Submits the plan (with {@code input}); returns its decision. */
    List<String> submit(String plan, String input) {
        return submit(plan, input, "{}");
    }

    /** Submits the plan with {@code input} and run {@code options} (e.g. {@code {"answer": true}}). */
    List<String> submit(String plan, String input, String options) {
        return on(new Input.Create("a goal", json(input), json(options), null, null, decider.plans.check(json(plan))));
    }

    List<String> submit(String plan) {
        return submit(plan, "{}");
    }

    /** Moves the clock on by {@code millis}. */
    Script after(long millis) {
        now = now.plus(Duration.ofMillis(millis));
        return this;
    }

    List<String> on(Input input) {
        if (input instanceof Input.CallEnded ended) inFlight.remove(ended.taskId());
        Decision decision = decider.on(run, input, facts());
        return record(decision);
    }

    List<String> owed() {
        return record(decider.owed(run, facts()));
    }

    /** What {@code other} (a run replayed from another script's events) owes under this script's decider. */
    List<String> owedOf(RunState other) {
        return record(decider.owed(other, facts()));
    }

    /** Every event decided so far, in order: a journal to replay. */
    List<RunEvent> events() {
        return List.copyOf(journal);
    }

    /** Forgets the calls in flight, as a restart does. */
    Script crash() {
        inFlight.clear();
        return this;
    }

    private final List<RunEvent> journal = new ArrayList<>();

    private List<String> record(Decision decision) {
        journal.addAll(decision.events());
        for (Command command : decision.commands()) {
            if (command instanceof Command.StartTool s) inFlight.add(s.taskId());
            if (command instanceof Command.StartAgent s) inFlight.add(s.taskId());
            if (command instanceof Command.Interrupt i) inFlight.remove(i.taskId());
        }
        List<String> lines = new ArrayList<>();
        for (RunEvent event : decision.events()) lines.add(render(event.data()));
        for (Command command : decision.commands()) lines.add(render(command));
        return lines;
    }

    private Facts facts() {
        Instant at = now;
        Set<String> calls = Set.copyOf(inFlight);
        return new Facts() {
            @Override public Instant now() { return at; }
            @Override public boolean inFlight(String taskId) { return calls.contains(taskId); }
            @Override public int callsInFlight() { return calls.size(); }
            @Override public int freeSlots() { return Math.max(0, slots - calls.size()); }
        };
    }

    // ------------------------------------------------------------------ rendering

    private String render(EventData data) {
        String line = data.type();
        if (data instanceof EventData.TaskEvent task) line += " " + task.taskId();
        if (data instanceof EventData.TaskStarted e) line += "#" + e.attempt() + deadline(e.deadline());
        if (data instanceof EventData.FallbackStarted e) line += "#" + e.attempt();
        if (data instanceof EventData.CompensationStarted e) line += "#" + e.attempt();
        if (data instanceof EventData.TaskSucceeded e) line += "#" + e.attempt();
        if (data instanceof EventData.TaskAttemptFailed e) line += "#" + e.attempt() + " " + e.error().code() + retry(e.retryAt());
        if (data instanceof EventData.FallbackAttemptFailed e) line += "#" + e.attempt() + " " + e.error().code() + retry(e.retryAt());
        if (data instanceof EventData.CompensationAttemptFailed e) line += "#" + e.attempt() + " " + e.error().code() + retry(e.retryAt());
        if (data instanceof EventData.ApprovalRequested e) line += e.expiresAt() == null ? "" : " expires " + at(e.expiresAt());
        if (data instanceof EventData.ApprovalDecided e) line += " " + e.decision();
        if (data instanceof EventData.RunFailed e) line += " " + e.error().code();
        if (data instanceof EventData.RunUnwinding e) line += " " + e.outcome();
        if (data instanceof EventData.ReplanStarted e) line += " " + e.trigger();
        if (data instanceof EventData.ReplanFailed e) line += " " + e.error().code();
        if (data instanceof EventData.PlanAccepted e) line += " v" + e.version();
        if (data instanceof EventData.RunSucceeded e && e.answering()) line += " answering";
        if (data instanceof EventData.AnswerWritten e) line += " " + e.answer();
        if (data instanceof EventData.AnswerFailed e) line += " " + e.error().code();
        return line;
    }

    private String render(Command command) {
        if (command instanceof Command.StartTool s) return "StartTool " + s.taskId() + "#" + s.attempt() + " " + s.lane() + " " + s.tool().descriptor().name();
        if (command instanceof Command.StartAgent s) return "StartAgent " + s.taskId() + "#" + s.attempt() + " " + s.lane() + " " + s.agent().name();
        if (command instanceof Command.AwaitSlot s) return "AwaitSlot " + s.taskId() + (s.rerunAttempt() > 0 ? "#" + s.rerunAttempt() : "");
        if (command instanceof Command.ArmTimer s) return "ArmTimer " + s.taskId() + " " + s.kind() + " " + at(s.at());
        if (command instanceof Command.Interrupt s) return "Interrupt " + s.taskId();
        if (command instanceof Command.AskPlanner) return "AskPlanner";
        if (command instanceof Command.AskReplanner s) return "AskReplanner after " + s.messagesSeen() + " messages";
        if (command instanceof Command.WriteAnswer s) return "WriteAnswer " + String.join(",", s.request().outputs().keySet());
        throw new AssertionError("no rendering for " + command);
    }

    private static String deadline(Instant deadline) {
        return deadline == null ? "" : " until " + at(deadline);
    }

    private static String retry(Instant retryAt) {
        return retryAt == null ? "" : " retry " + at(retryAt);
    }

    /** A time as an offset from {@link #T0}: "+1500ms". */
    static String at(Instant instant) {
        return "+" + Duration.between(T0, instant).toMillis() + "ms";
    }

    static JsonNode json(String text) {
        try {
            return Json.parse(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
