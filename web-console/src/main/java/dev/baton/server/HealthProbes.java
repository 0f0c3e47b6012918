package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.cluster.ClusterNode;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.triage.Triage;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /health/live} and {@code GET /health/ready} (and HEAD) for Kubernetes-style probes:
 * outside /api, so they need no token, and they show no data, only UP, DOWN or STARTING per check.
 * <ul>
 *   <li><b>live</b>: 200 while the process and its event loop answer (the handler runs on it).</li>
 *   <li><b>ready</b>: 200 when every check is UP, else 503. Checks: {@code journal} (a ping of its
 *       database, bounded to 2 s, on a thread of its own), {@code classifier} (only with
 *       BATON_TRIAGE_WARM_UP: STARTING until trained, DOWN if that failed) and {@code cluster}
 *       (only on a node of a cluster: DOWN while it holds no lease).</li>
 * </ul>
 * A readiness result is kept for a second, and one check at most is in flight, so that probes,
 * however many, cost the database at most one ping a second and never block the event loop.
 * /api/health stays the detailed, authenticated view.
 */
final class HealthProbes {
    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";
    private static final long CACHE_NANOS = 1_000_000_000L;

    enum State { UP, DOWN, STARTING }

    private final Orchestrator orchestrator;
    /** Null when the classifier is not warmed up at start (it then has no part in readiness). */
    private final Triage triage;
    /** Null unless this server is a node of a cluster. */
    private final ClusterNode node;

    private Future<Map<String, State>> last;
    private long lastAt;

    HealthProbes(Orchestrator orchestrator, Triage triage, ClusterNode node) {
        this.orchestrator = orchestrator;
        this.triage = triage;
        this.node = node;
    }

    void mount(Router router) {
        router.route(LIVE).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> send(ctx, 200, Map.of()));
        router.route(READY).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::ready);
    }

    private void ready(RoutingContext ctx) {
        checks().onComplete(done -> {
            Map<String, State> checks = done.result();
            boolean up = checks.values().stream().allMatch(s -> s == State.UP);
            send(ctx, up ? 200 : 503, checks);
        });
    }

    /** The current checks: the last result if under a second old (or still running), else a new round. */
    synchronized Future<Map<String, State>> checks() {
        long now = System.nanoTime();
        if (last != null && (!last.isComplete() || now - lastAt < CACHE_NANOS)) return last;
        lastAt = now;
        last = orchestrator.pingJournal().transform(ping -> {
            Map<String, State> checks = new LinkedHashMap<>();
            checks.put("journal", ping.succeeded() ? State.UP : State.DOWN);
            if (triage != null) {
                checks.put("classifier", triage.ready() ? State.UP : triage.failed() ? State.DOWN : State.STARTING);
            }
            if (node != null) checks.put("cluster", node.healthy() ? State.UP : State.DOWN);
            return Future.succeededFuture(checks);
        });
        return last;
    }

    private static void send(RoutingContext ctx, int status, Map<String, State> checks) {
        ObjectNode body = Json.object();
        body.put("status", status == 200 ? "UP" : checks.containsValue(State.DOWN) ? "DOWN" : "STARTING");
        if (!checks.isEmpty()) {
            ObjectNode each = body.putObject("checks");
            checks.forEach((name, state) -> each.put(name, state.name()));
        }
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store");
        if (status == 503) ctx.response().putHeader("Retry-After", "1");
        ctx.response().end(Json.write(body));
    }
}
