package dev.baton.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.trigger.Triggers;
import dev.baton.server.metrics.ModelMetrics;
import dev.baton.server.notify.Notifier;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * {@code GET /metrics}: the server's Micrometer registry in the Prometheus text format (version
 * 0.0.4): Baton's meters, and Vert.x's (HTTP server and client, pools, event bus) and the JVM's. And
 * {@code GET /api/metrics/summary}, the dashboard's JSON, read from the same registry.
 *
 * <p>What lives in the journal (pending approvals, the notification outbox) or on the triggers'
 * context is read first, off the event loop, into {@link #latest}; the gauges registered here
 * read it when the registry is scraped.
 */
final class PrometheusMetrics {
    /** How many of the longest-waiting approvals the summary lists. */
    private static final int OLDEST_APPROVALS = 10;

    private final PrometheusMeterRegistry registry;
    private final Orchestrator orchestrator;
    private final Notifier notifier;
    private final Triggers triggers;
    /** What the last scrape or summary read from the journal and the triggers. */
    private volatile Slow latest = new Slow(List.of(), Map.of(), new Triggers.Totals(0, 0, 0, 0, 0, 0, 0));

    /** What needs the journal (read on a worker thread) or another context. */
    private record Slow(List<ApprovalRecord> pending, Map<String, Long> notifications, Triggers.Totals triggers) {
    }

    /** @param notifier null when no notification rules are configured */
    PrometheusMetrics(PrometheusMeterRegistry registry, Orchestrator orchestrator, Notifier notifier, Triggers triggers,
                      StreamQuota streams) {
        this.registry = registry;
        this.orchestrator = orchestrator;
        this.notifier = notifier;
        this.triggers = triggers;
        gauge("baton.approvals.waiting", "Approvals waiting for a person now.", s -> s.pending().size());
        gauge("baton.approvals.oldest.wait.seconds", "How long the oldest waiting approval has waited (0 when none waits).",
                s -> oldestWait(s.pending()));
        Gauge.builder("baton.runs.set.aside", orchestrator, o -> o.setAsideRuns().size())
                .description("Runs the journal could not rebuild at start: set aside, not running (see the log).").register(registry);
        String triggersHelp = "Triggers, by state.";
        gauge("baton.triggers", triggersHelp, s -> s.triggers().triggers() - s.triggers().paused(), "state", "active");
        gauge("baton.triggers", triggersHelp, s -> s.triggers().paused(), "state", "paused");
        String firingsHelp = "Trigger firings since the start: runs started, firings skipped by overlap, firings that could not start a run.";
        counter("baton.trigger.firings", firingsHelp, s -> s.triggers().started(), "outcome", "started");
        counter("baton.trigger.firings", firingsHelp, s -> s.triggers().skipped(), "outcome", "skipped");
        counter("baton.trigger.firings", firingsHelp, s -> s.triggers().failed(), "outcome", "failed");
        gauge("baton.trigger.firings.queued", "Schedule firings held by overlap 'queue' until the previous run ends.",
                s -> s.triggers().queued());
        gauge("baton.trigger.firings.pending", "Schedule firings claimed and not yet started (queued ones included).",
                s -> s.triggers().pending());
        Gauge.builder("baton.event.streams.open", streams, StreamQuota::open)
                .description("Server-sent event streams open now (run streams and /api/events).").register(registry);
        for (StreamQuota.Scope scope : StreamQuota.Scope.values()) {
            FunctionCounter.builder("baton.event.streams.refused", streams, q -> q.refused(scope))
                    .description("Event streams refused with 429, by the cap they would have broken: per client or in all.")
                    .tag("limit", scope.label()).register(registry);
        }
        FunctionCounter.builder("baton.event.streams.cut", streams, StreamQuota::cutCount)
                .description("Event streams closed because their client did not read fast enough (it resumes with Last-Event-ID).")
                .register(registry);
        if (notifier != null) {
            FunctionCounter.builder("baton.notifications.sent", notifier, Notifier::sent)
                    .description("Notifications their webhook accepted.").register(registry);
            FunctionCounter.builder("baton.notification.send.failures", notifier, Notifier::failedAttempts)
                    .description("Notification sends that failed (and were retried or given up).").register(registry);
            FunctionCounter.builder("baton.notifications.given.up", notifier, Notifier::givenUp)
                    .description("Notifications given up after their last attempt.").register(registry);
            for (String status : new String[]{"PENDING", "SENT", "FAILED"}) {
                gauge("baton.notifications", "Notifications in the outbox, by status.",
                        s -> s.notifications().getOrDefault(status, 0L), "status", status);
            }
        }
    }

    /** A gauge of what was read from the journal or the triggers (this object holds it). */
    private void gauge(String name, String help, ToDoubleFunction<Slow> value, String... tags) {
        Gauge.builder(name, this, m -> value.applyAsDouble(m.latest)).description(help).tags(tags).register(registry);
    }

    private void counter(String name, String help, ToDoubleFunction<Slow> value, String... tags) {
        FunctionCounter.builder(name, this, m -> value.applyAsDouble(m.latest)).description(help).tags(tags).register(registry);
    }

    private Future<Slow> slow(RoutingContext ctx) {
        return orchestrator.approvals("PENDING").compose(pending -> triggers.totals().compose(totals -> notifier == null
                        ? Future.succeededFuture(new Slow(pending, Map.of(), totals))
                        : ctx.vertx().executeBlocking(() -> new Slow(pending, notifier.outbox().counts(), totals))))
                .onSuccess(slow -> latest = slow);
    }

    void handle(RoutingContext ctx) {
        slow(ctx).onComplete(result -> {
            if (result.failed()) {
                ctx.response().setStatusCode(500).putHeader("Content-Type", "text/plain; charset=utf-8")
                        .end("metrics unavailable: " + result.cause().getMessage() + "\n");
                return;
            }
            ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
        });
    }

    void summary(RoutingContext ctx) {
        slow(ctx).onComplete(result -> {
            if (result.failed()) ApiError.respond(ctx, result.cause());
            else ApiRoutes.json(ctx, 200, summary(result.result()));
        });
    }

    private static double oldestWait(List<ApprovalRecord> pending) {
        Instant now = Instant.now();
        return pending.stream().map(ApprovalRecord::requestedAt).min(Comparator.naturalOrder())
                .map(at -> Math.max(0, Duration.between(at, now).toMillis() / 1000.0)).orElse(0.0);
    }

    // ---------------------------------------------------------------- the dashboard's JSON, from the registry

    /** The sum of the counters (or function counters) named {@code name} with these tags; 0 when there are none. */
    private long count(String name, String... tags) {
        Search search = registry.find(name).tags(tags);
        double sum = 0;
        for (Counter c : search.counters()) sum += c.count();
        for (FunctionCounter c : search.functionCounters()) sum += c.count();
        return (long) sum;
    }

    /** The sum of the gauges named {@code name}; 0 when there are none. */
    private double gaugeSum(String name) {
        double sum = 0;
        for (Gauge g : registry.find(name).gauges()) sum += g.value();
        return sum;
    }

    private static String tag(Meter meter, String key) {
        String value = meter.getId().getTag(key);
        return value == null ? "" : value;
    }

    private ObjectNode summary(Slow slow) {
        Instant now = Instant.now();
        ObjectNode body = Json.object();
        body.put("at", now.toString());
        ObjectNode runs = body.putObject("runs");
        runs.put("started", count("baton.runs.started"));
        ObjectNode finished = runs.putObject("finished");
        for (RunStatus status : RunStatus.values()) if (status.finished()) finished.put(status.name(), count("baton.runs.finished", "status", status.name()));
        runs.put("inMemory", (long) gaugeSum("baton.runs.in.memory"));
        ObjectNode tasks = body.putObject("tasks");
        tasks.put("attempts", count("baton.task.attempts"));
        tasks.put("succeeded", count("baton.tasks.succeeded"));
        tasks.put("failed", count("baton.tasks.failed"));
        tasks.put("retries", count("baton.task.retries"));
        tasks.put("callsInFlight", (int) gaugeSum("baton.calls.in.flight"));
        tasks.put("abandonedCalls", (int) gaugeSum("baton.abandoned.calls"));
        tasks.put("readyQueueDepth", (int) gaugeSum("baton.ready.queue.depth"));
        ArrayNode tools = body.putArray("calls");
        List<Timer> calls = new ArrayList<>(registry.find("baton.task.duration").timers());
        // Where time goes: the most total time first.
        calls.sort(Comparator.comparingDouble((Timer t) -> -t.totalTime(TimeUnit.SECONDS)));
        for (Timer t : calls) {
            ObjectNode row = tools.addObject();
            String kind = tag(t, "kind");
            String name = tag(t, "name");
            row.put("kind", kind);
            row.put("name", name);
            row.put("calls", t.count());
            row.put("failures", count("baton.task.call.failures", "kind", kind, "name", name));
            row.put("totalSeconds", t.totalTime(TimeUnit.SECONDS));
            row.put("meanSeconds", t.count() == 0 ? 0 : t.mean(TimeUnit.SECONDS));
            row.put("p50Seconds", Meters.quantileSeconds(t, 0.5));
            row.put("p95Seconds", Meters.quantileSeconds(t, 0.95));
        }
        ObjectNode approvals = body.putObject("approvals");
        approvals.put("waiting", slow.pending().size());
        approvals.put("oldestWaitSeconds", oldestWait(slow.pending()));
        approvals.put("requested", count("baton.approvals.requested"));
        approvals.put("decided", count("baton.approvals.decided"));
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
        long events = count("baton.journal.events");
        long batches = count("baton.journal.batches");
        j.put("events", events);
        j.put("batches", batches);
        j.put("meanBatchSize", batches == 0 ? 0 : (double) events / batches);
        Timer commits = registry.find("baton.journal.commit").timer();
        j.put("commitP50Seconds", commits == null ? 0 : Meters.quantileSeconds(commits, 0.5));
        j.put("commitP99Seconds", commits == null ? 0 : Meters.quantileSeconds(commits, 0.99));
        ArrayNode modelRows = body.putArray("models");
        for (Counter c : registry.find(ModelMetrics.CALLS).counters()) {
            String model = tag(c, "model");
            String purpose = tag(c, "purpose");
            ObjectNode row = modelRows.addObject();
            row.put("model", model);
            row.put("purpose", purpose);
            row.put("calls", (long) c.count());
            row.put("errors", count(ModelMetrics.ERRORS, "model", model, "purpose", purpose));
            row.put("promptTokens", count(ModelMetrics.TOKENS, "model", model, "purpose", purpose, "type", "prompt"));
            row.put("completionTokens", count(ModelMetrics.TOKENS, "model", model, "purpose", purpose, "type", "completion"));
        }
        if (notifier != null) {
            ObjectNode n = body.putObject("notifications");
            n.put("sent", count("baton.notifications.sent"));
            n.put("failedAttempts", count("baton.notification.send.failures"));
            n.put("givenUp", count("baton.notifications.given.up"));
            n.put("pending", slow.notifications().getOrDefault("PENDING", 0L));
        }
        return body;
    }
}
