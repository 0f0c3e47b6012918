package dev.baton.server;

import dev.baton.runtime.journal.JournalStats;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorMetrics;
import dev.baton.runtime.run.RunStatus;
import io.vertx.ext.web.RoutingContext;

/** {@code GET /metrics} in the Prometheus text format (version 0.0.4). */
final class PrometheusMetrics {
    private final Orchestrator orchestrator;

    PrometheusMetrics(Orchestrator orchestrator) {
        this.orchestrator = orchestrator;
    }

    void handle(RoutingContext ctx) {
        OrchestratorMetrics m = orchestrator.metrics();
        JournalStats journal = orchestrator.journal().stats();
        StringBuilder out = new StringBuilder(2048);
        counter(out, "baton_runs_started_total", "Runs started.", m.runsStarted());
        out.append("# HELP baton_runs_finished_total Runs finished, by status.\n# TYPE baton_runs_finished_total counter\n");
        for (RunStatus status : RunStatus.values()) {
            if (status.finished()) {
                out.append("baton_runs_finished_total{status=\"").append(status).append("\"} ").append(m.runsFinished(status)).append('\n');
            }
        }
        counter(out, "baton_task_attempts_total", "Task attempts started.", m.taskAttempts());
        counter(out, "baton_task_retries_total", "Attempts that failed and were scheduled again.", m.taskRetries());
        counter(out, "baton_tasks_succeeded_total", "Tasks that succeeded.", m.tasksSucceeded());
        counter(out, "baton_tasks_failed_total", "Tasks that failed for good.", m.tasksFailed());
        counter(out, "baton_approvals_requested_total", "Approvals requested.", m.approvalsRequested());
        counter(out, "baton_approvals_decided_total", "Approvals decided by a person.", m.approvalsDecided());
        gauge(out, "baton_calls_in_flight", "Tool calls running now.", m.callsInFlight());
        gauge(out, "baton_ready_queue_depth", "Ready tasks waiting for a free call slot.", m.readyQueueDepth());
        gauge(out, "baton_runs_in_memory", "Runs held in memory (active and cached parked runs).", m.runsInMemory());
        counter(out, "baton_journal_events_total", "Events written to the journal.", journal.events());
        counter(out, "baton_journal_batches_total", "Journal transactions committed.", journal.batches());
        counter(out, "baton_journal_write_seconds_total", "Time spent writing to the journal.", journal.writeNanos() / 1e9);
        gauge(out, "baton_journal_max_batch_size", "The largest journal batch so far.", journal.maxBatchSize());
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(out.toString());
    }

    private static void counter(StringBuilder out, String name, String help, double value) {
        metric(out, name, help, "counter", value);
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        metric(out, name, help, "gauge", value);
    }

    private static void metric(StringBuilder out, String name, String help, String type, double value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        out.append(name).append(' ');
        if (value == Math.rint(value)) out.append((long) value); else out.append(value);
        out.append('\n');
    }
}
