package dev.baton.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.metrics.Histogram;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorMetrics;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.trigger.Triggers;
import dev.baton.server.metrics.McpMetrics;
import dev.baton.server.metrics.ModelMetrics;
import dev.baton.server.metrics.PrometheusText;
import dev.baton.server.notify.Notifier;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /metrics} in the Prometheus text format (version 0.0.4), and
 * {@code GET /api/metrics/summary}, the same figures as JSON for the console's dashboard.
 * Both read the pending approvals (and the notification outbox) from the journal, off the event loop.
 */
final class PrometheusMetrics {
    /** How many of the longest-waiting approvals the summary lists. */
    private static final int OLDEST_APPROVALS = 10;

    private final Orchestrator orchestrator;
    private final ModelMetrics models;
    private final Notifier notifier;
    private final Triggers triggers;
    private final EdgeMetrics edge;
    private final StreamQuota streams;
    private final McpMetrics mcp;

    /** @param notifier null when no notification rules are configured */
    PrometheusMetrics(Orchestrator orchestrator, ModelMetrics models, Notifier notifier, Triggers triggers, EdgeMetrics edge,
                      StreamQuota streams, McpMetrics mcp) {
        this.mcp = mcp;
        this.orchestrator = orchestrator;
        this.models = models;
        this.notifier = notifier;
        this.triggers = triggers;
        this.edge = edge;
        this.streams = streams;
    }

    /** What needs the journal (read on a worker thread) or another context. */
    private record Slow(List<ApprovalRecord> pending, Map<String, Long> notifications, Triggers.Totals triggers) {
    }

    private Future<Slow> slow(RoutingContext ctx) {
        return orchestrator.approvals("PENDING").compose(pending -> triggers.totals().compose(totals -> notifier == null
                ? Future.succeededFuture(new Slow(pending, Map.of(), totals))
                : ctx.vertx().executeBlocking(() -> new Slow(pending, notifier.outbox().counts(), totals))));
    }

    void handle(RoutingContext ctx) {
        slow(ctx).onComplete(result -> {
            if (result.failed()) {
                ctx.response().setStatusCode(500).putHeader("Content-Type", "text/plain; charset=utf-8")
                        .end("metrics unavailable: " + result.cause().getMessage() + "\n");
                return;
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text(result.result()));
        });
    }

    void summary(RoutingContext ctx) {
        slow(ctx).onComplete(result -> {
            if (result.failed()) ApiError.respond(ctx, result.cause());
            else ApiRoutes.json(ctx, 200, summary(result.result()));
        });
    }

    private String text(Slow slow) {
        OrchestratorMetrics m = orchestrator.metrics();
        JournalStats journal = orchestrator.journal().stats();
        PrometheusText out = new PrometheusText();
        out.counter("baton_runs_started_total", "Runs started.", m.runsStarted());
        out.family("baton_runs_finished_total", "counter", "Runs that reached an end status, by status; a reopened run counts again when it ends again.");
        for (RunStatus status : RunStatus.values()) {
            if (status.finished()) out.sample("baton_runs_finished_total", m.runsFinished(status), "status", status.name());
        }
        out.counter("baton_task_attempts_total", "Task attempts started.", m.taskAttempts());
        out.counter("baton_task_retries_total", "Attempts that failed and were scheduled again.", m.taskRetries());
        out.counter("baton_tasks_succeeded_total", "Tasks that succeeded.", m.tasksSucceeded());
        out.counter("baton_tasks_failed_total", "Tasks that failed for good.", m.tasksFailed());
        List<Map.Entry<OrchestratorMetrics.CallKey, OrchestratorMetrics.CallStats>> calls = new ArrayList<>(m.calls().entrySet());
        calls.sort(Comparator.comparing((Map.Entry<OrchestratorMetrics.CallKey, OrchestratorMetrics.CallStats> e) -> e.getKey().kind())
                .thenComparing(e -> e.getKey().name()));
        out.family("baton_task_duration_seconds", "histogram", "Duration of tool calls (kind=tool) and agent loops (kind=agent), per tool or agent.");
        for (var e : calls) out.histogram("baton_task_duration_seconds", e.getValue().seconds(), "kind", e.getKey().kind(), "name", e.getKey().name());
        out.family("baton_task_call_failures_total", "counter", "Tool calls and agent loops that ended in a failure (retried or not), per tool or agent.");
        for (var e : calls) out.sample("baton_task_call_failures_total", e.getValue().failures(), "kind", e.getKey().kind(), "name", e.getKey().name());
        out.counter("baton_approvals_requested_total", "Approvals requested.", m.approvalsRequested());
        out.counter("baton_approvals_decided_total", "Approvals decided by a person.", m.approvalsDecided());
        out.gauge("baton_approvals_waiting", "Approvals waiting for a person now.", slow.pending().size());
        out.gauge("baton_approvals_oldest_wait_seconds", "How long the oldest waiting approval has waited (0 when none waits).", oldestWait(slow.pending()));
        out.counter("baton_replans_total", "Replans started.", m.replans());
        out.gauge("baton_calls_in_flight", "Tool calls running now.", m.callsInFlight());
        List<Map.Entry<OrchestratorMetrics.CallKey, Integer>> abandoned = new ArrayList<>(m.abandonedCallsByName().entrySet());
        abandoned.sort(Map.Entry.comparingByKey(Comparator.comparing(OrchestratorMetrics.CallKey::kind).thenComparing(OrchestratorMetrics.CallKey::name)));
        out.family("baton_abandoned_calls", "gauge", "Calls given up on (timed out, or their run cancelled) whose thread has not returned"
                + " though interrupted, per tool or agent: they hold a thread each, no call slot.");
        for (var e : abandoned) out.sample("baton_abandoned_calls", e.getValue(), "kind", e.getKey().kind(), "name", e.getKey().name());
        out.counter("baton_calls_refused_total", "Calls not started because abandoned calls held too many threads (tool_threads_exhausted).",
                m.callsRefused());
        out.gauge("baton_ready_queue_depth", "Ready tasks waiting for a free call slot.", m.readyQueueDepth());
        out.gauge("baton_runs_in_memory", "Runs held in memory (active and cached parked runs).", m.runsInMemory());
        out.counter("baton_run_rebuilds_total", "Runs reloaded from the journal after one of their writes failed.", m.runRebuilds());
        out.gauge("baton_runs_set_aside", "Runs the journal could not rebuild at start: set aside, not running (see the log).",
                orchestrator.setAsideRuns().size());
        out.counter("baton_journal_events_total", "Events written to the journal.", journal.events());
        out.counter("baton_journal_batches_total", "Journal transactions committed.", journal.batches());
        out.counter("baton_journal_write_seconds_total", "Time spent writing to the journal.", journal.writeNanos() / 1e9);
        out.gauge("baton_journal_max_batch_size", "The largest journal batch so far.", journal.maxBatchSize());
        out.family("baton_journal_commit_seconds", "histogram", "Time to write and commit one journal transaction.");
        out.histogram("baton_journal_commit_seconds", journal.writeSeconds());
        out.family("baton_journal_batch_events", "histogram", "Events per journal transaction (group commit).");
        out.histogram("baton_journal_batch_events", journal.batchSizes());
        List<Map.Entry<ModelMetrics.Key, ModelMetrics.Stats>> modelStats = new ArrayList<>(models.all().entrySet());
        modelStats.sort(Comparator.comparing((Map.Entry<ModelMetrics.Key, ModelMetrics.Stats> e) -> e.getKey().model())
                .thenComparing(e -> e.getKey().purpose()));
        out.family("baton_model_calls_total", "counter", "Model calls, per model and purpose (plan, replan, agent, result).");
        for (var e : modelStats) out.sample("baton_model_calls_total", e.getValue().calls(), "model", e.getKey().model(), "purpose", e.getKey().purpose());
        out.family("baton_model_call_errors_total", "counter", "Model calls that failed for good.");
        for (var e : modelStats) out.sample("baton_model_call_errors_total", e.getValue().errors(), "model", e.getKey().model(), "purpose", e.getKey().purpose());
        out.family("baton_model_cache_hits_total", "counter", "Model calls answered from the cache.");
        for (var e : modelStats) out.sample("baton_model_cache_hits_total", e.getValue().cached(), "model", e.getKey().model(), "purpose", e.getKey().purpose());
        out.family("baton_model_tokens_total", "counter", "Tokens the model read (type=prompt) and wrote (type=completion).");
        for (var e : modelStats) {
            out.sample("baton_model_tokens_total", e.getValue().promptTokens(), "model", e.getKey().model(), "purpose", e.getKey().purpose(), "type", "prompt");
            out.sample("baton_model_tokens_total", e.getValue().completionTokens(), "model", e.getKey().model(), "purpose", e.getKey().purpose(), "type", "completion");
        }
        out.family("baton_model_call_seconds", "histogram", "Duration of model calls, including waits and backoffs.");
        for (var e : modelStats) out.histogram("baton_model_call_seconds", e.getValue().seconds(), "model", e.getKey().model(), "purpose", e.getKey().purpose());
        Triggers.Totals t = slow.triggers();
        out.family("baton_triggers", "gauge", "Triggers, by state.");
        out.sample("baton_triggers", t.triggers() - t.paused(), "state", "active");
        out.sample("baton_triggers", t.paused(), "state", "paused");
        out.family("baton_trigger_firings_total", "counter", "Trigger firings since the start: runs started, firings skipped by overlap, firings that could not start a run.");
        out.sample("baton_trigger_firings_total", t.started(), "outcome", "started");
        out.sample("baton_trigger_firings_total", t.skipped(), "outcome", "skipped");
        out.sample("baton_trigger_firings_total", t.failed(), "outcome", "failed");
        out.gauge("baton_trigger_firings_queued", "Schedule firings held by overlap 'queue' until the previous run ends.", t.queued());
        out.gauge("baton_trigger_firings_pending", "Schedule firings claimed and not yet started (queued ones included).", t.pending());
        out.family("baton_trigger_dispatch_lateness_seconds", "histogram", "A schedule firing's due time to the scheduler taking it up.");
        out.histogram("baton_trigger_dispatch_lateness_seconds", t.dispatchLateness());
        out.family("baton_trigger_start_seconds", "histogram", "A schedule firing taken up to its run durable (the claim's save and the submit).");
        out.histogram("baton_trigger_start_seconds", t.startSeconds());
        out.gauge("baton_event_streams_open", "Server-sent event streams open now (run streams and /api/events).", streams.open());
        out.family("baton_event_streams_refused_total", "counter", "Event streams refused with 429, by the cap they would have broken: per client or in all.");
        for (StreamQuota.Scope scope : StreamQuota.Scope.values()) {
            out.sample("baton_event_streams_refused_total", streams.refused(scope), "limit", scope.label());
        }
        out.counter("baton_event_streams_cut_total", "Event streams closed because their client did not read fast enough (it resumes with Last-Event-ID).", streams.cutCount());
        if (notifier != null) {
            out.counter("baton_notifications_sent_total", "Notifications their webhook accepted.", notifier.sent());
            out.counter("baton_notification_send_failures_total", "Notification sends that failed (and were retried or given up).", notifier.failedAttempts());
            out.counter("baton_notifications_given_up_total", "Notifications given up after their last attempt.", notifier.givenUp());
            out.family("baton_notifications", "gauge", "Notifications in the outbox, by status.");
            for (String status : new String[]{"PENDING", "SENT", "FAILED"}) {
                out.sample("baton_notifications", slow.notifications().getOrDefault(status, 0L), "status", status);
            }
        }
        edge.write(out);
        mcp.write(out);
        return out.toString();
    }

    private static double oldestWait(List<ApprovalRecord> pending) {
        Instant now = Instant.now();
        return pending.stream().map(ApprovalRecord::requestedAt).min(Comparator.naturalOrder())
                .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0)).orElse(0.0);
    }

    private ObjectNode summary(Slow slow) {
        OrchestratorMetrics m = orchestrator.metrics();
        JournalStats journal = orchestrator.journal().stats();
        Instant now = Instant.now();
        ObjectNode body = Json.object();
        body.put("at", now.toString());
        ObjectNode runs = body.putObject("runs");
        runs.put("started", m.runsStarted());
        ObjectNode finished = runs.putObject("finished");
        for (RunStatus status : RunStatus.values()) if (status.finished()) finished.put(status.name(), m.runsFinished(status));
        runs.put("inMemory", m.runsInMemory());
        ObjectNode tasks = body.putObject("tasks");
        tasks.put("attempts", m.taskAttempts());
        tasks.put("succeeded", m.tasksSucceeded());
        tasks.put("failed", m.tasksFailed());
        tasks.put("retries", m.taskRetries());
        tasks.put("callsInFlight", m.callsInFlight());
        tasks.put("abandonedCalls", m.abandonedCalls());
        tasks.put("readyQueueDepth", m.readyQueueDepth());
        ArrayNode tools = body.putArray("calls");
        List<Map.Entry<OrchestratorMetrics.CallKey, OrchestratorMetrics.CallStats>> calls = new ArrayList<>(m.calls().entrySet());
        List<Object[]> rows = new ArrayList<>();
        for (var e : calls) rows.add(new Object[]{e.getKey(), e.getValue().seconds(), e.getValue().failures()});
        // Where time goes: the most total time first.
        rows.sort(Comparator.comparingDouble((Object[] r) -> -((Histogram.Snapshot) r[1]).sum()));
        for (Object[] r : rows) {
            OrchestratorMetrics.CallKey key = (OrchestratorMetrics.CallKey) r[0];
            Histogram.Snapshot h = (Histogram.Snapshot) r[1];
            ObjectNode row = tools.addObject();
            row.put("kind", key.kind());
            row.put("name", key.name());
            row.put("calls", h.count());
            row.put("failures", (Long) r[2]);
            row.put("totalSeconds", h.sum());
            row.put("meanSeconds", h.mean());
            row.put("p50Seconds", h.quantile(0.5));
            row.put("p95Seconds", h.quantile(0.95));
        }
        ObjectNode approvals = body.putObject("approvals");
        approvals.put("waiting", slow.pending().size());
        approvals.put("oldestWaitSeconds", oldestWait(slow.pending()));
        approvals.put("requested", m.approvalsRequested());
        approvals.put("decided", m.approvalsDecided());
        ArrayNode oldest = approvals.putArray("oldest");
        slow.pending().stream().sorted(Comparator.comparing(ApprovalRecord::requestedAt)).limit(OLDEST_APPROVALS).forEach(a -> {
            ObjectNode row = oldest.addObject();
            row.put("runId", a.runId());
            row.put("taskId", a.taskId());
            row.put("title", a.title());
            row.put("tool", a.tool());
            row.put("requestedAt", a.requestedAt().toString());
            row.put("waitingSeconds", Math.max(0, Duration.between(a.requestedAt(), now).toMillis() / 1000.0));
            if (a.expiresAt() != null) row.put("expiresAt", a.expiresAt().toString());
        });
        ObjectNode j = body.putObject("journal");
        j.put("events", journal.events());
        j.put("batches", journal.batches());
        j.put("meanBatchSize", journal.meanBatchSize());
        j.put("commitP50Seconds", journal.writeSeconds().quantile(0.5));
        j.put("commitP99Seconds", journal.writeSeconds().quantile(0.99));
        ArrayNode modelRows = body.putArray("models");
        models.all().forEach((key, s) -> {
            ObjectNode row = modelRows.addObject();
            row.put("model", key.model());
            row.put("purpose", key.purpose());
            row.put("calls", s.calls());
            row.put("errors", s.errors());
            row.put("promptTokens", s.promptTokens());
            row.put("completionTokens", s.completionTokens());
        });
        if (notifier != null) {
            ObjectNode n = body.putObject("notifications");
            n.put("sent", notifier.sent());
            n.put("failedAttempts", notifier.failedAttempts());
            n.put("givenUp", notifier.givenUp());
            n.put("pending", slow.notifications().getOrDefault("PENDING", 0L));
        }
        return body;
    }
}
