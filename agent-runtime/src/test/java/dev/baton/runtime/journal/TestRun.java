package dev.baton.runtime.journal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.plan.ApprovalSpec.ExpiryPolicy;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.event.RunEvent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Makes the events of one run with growing seqs and a clock that ticks one millisecond per event. */
final class TestRun {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final String id;
    private long seq;
    private Instant clock;

    TestRun(String id) {
        this(id, T0);
    }

    TestRun(String id, Instant start) {
        this.id = id;
        this.clock = start;
    }

    /** The next event of this run. */
    RunEvent next(EventData data) {
        RunEvent event = new RunEvent(++seq, id, clock, data);
        clock = clock.plusMillis(1);
        return event;
    }

    /** The next events of this run, in order. */
    List<RunEvent> next(EventData... data) {
        List<RunEvent> events = new ArrayList<>();
        for (EventData d : data) events.add(next(d));
        return events;
    }

    long seq() {
        return seq;
    }

    // ---- event data ----

    static EventData.RunCreated created(String goal) {
        return created(goal, null);
    }

    static EventData.RunCreated created(String goal, String idempotencyKey) {
        return new EventData.RunCreated(goal, Json.object().put("n", 1), null, idempotencyKey,
                idempotencyKey == null ? null : "hash-of-" + idempotencyKey);
    }

    static EventData.PlanAccepted planAccepted() {
        return new EventData.PlanAccepted(1, Json.object().set("tasks", Json.array()));
    }

    static EventData.TaskSucceeded taskSucceeded(String task) {
        return new EventData.TaskSucceeded(task, 1, Json.object().put("ok", true));
    }

    static EventData.ApprovalRequested approvalRequested(String task) {
        return new EventData.ApprovalRequested(task, "Approve " + task, "tickets.route", args(task), null, ExpiryPolicy.REJECT);
    }

    static EventData.ApprovalDecided approve(String task) {
        return new EventData.ApprovalDecided(task, Verdict.APPROVE, "ana", "fine", null);
    }

    static EventData.ApprovalDecided reject(String task) {
        return new EventData.ApprovalDecided(task, Verdict.REJECT, "ana", "no", null);
    }

    static JsonNode args(String task) {
        return Json.object().put("task", task).put("queue", "billing");
    }
}
