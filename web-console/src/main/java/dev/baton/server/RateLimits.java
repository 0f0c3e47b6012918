package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.baton.json.Json;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.Map;

/**
 * Per-caller rate limits on the routes that create things: a token bucket (bucket4j) per caller
 * and limit. The caller is the bearer token's name; without tokens, and for webhooks (callers of a
 * trigger's event route without a token), the remote address. Over its rate a caller gets 429 with
 * {@code Retry-After} and nothing happens; other callers are not affected. The buckets are this
 * node's: in a cluster each node counts its own requests.
 */
final class RateLimits {
    /** The limited routes; each has its setting. */
    enum Limit {
        RUNS("runs", "/api/runs", Config.Setting.RATE_RUNS),
        TICKETS("tickets", "/api/tickets", Config.Setting.RATE_TICKETS),
        TRIGGERS("triggers", "/api/triggers", Config.Setting.RATE_TRIGGERS),
        EVENTS("trigger events", "/api/triggers/:name/events", Config.Setting.RATE_EVENTS);

        private final String what;
        private final String path;
        private final Config.Setting setting;

        Limit(String what, String path, Config.Setting setting) {
            this.what = what;
            this.path = path;
            this.setting = setting;
        }

        Config.Setting setting() {
            return setting;
        }

        /** The metric label. */
        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Map<Limit, EdgeSettings.Rate> rates;
    private final EdgeMetrics metrics;
    /**
     * One bucket per limit and caller. A bucket unused for its whole period is full again, so
     * dropping it loses nothing; the size bound keeps a flood of addresses from costing memory.
     */
    private final Cache<String, Bucket> buckets;

    RateLimits(Map<Limit, EdgeSettings.Rate> rates, EdgeMetrics metrics) {
        this.rates = rates;
        this.metrics = metrics;
        Duration longest = rates.values().stream().map(EdgeSettings.Rate::period).max(Duration::compareTo).orElse(Duration.ofMinutes(1));
        this.buckets = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(longest).build();
    }

    /** Puts a check before each limited route; call after authentication, before the routes. */
    void mount(Router router) {
        for (Map.Entry<Limit, EdgeSettings.Rate> entry : rates.entrySet()) {
            Limit limit = entry.getKey();
            EdgeSettings.Rate rate = entry.getValue();
            router.post(limit.path).handler(ctx -> check(ctx, limit, rate));
        }
    }

    private void check(RoutingContext ctx, Limit limit, EdgeSettings.Rate rate) {
        Caller caller = Auth.caller(ctx);
        boolean byAddress = caller == null || caller == Caller.LOCAL || caller == Auth.WEBHOOK;
        String who = byAddress ? "address " + address(ctx) : "token '" + caller.name() + "'";
        Bucket bucket = buckets.get(limit.name() + ' ' + who, k -> Bucket.builder()
                .addLimit(l -> l.capacity(rate.count()).refillGreedy(rate.count(), rate.period())).build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            ctx.next();
            return;
        }
        long retryAfter = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        metrics.rateLimited(limit);
        ObjectNode details = Json.object();
        details.put("limit", rate.toString());
        details.put("retryAfterSeconds", retryAfter);
        ctx.response().putHeader("Retry-After", String.valueOf(retryAfter));
        ApiError.send(ctx, new ApiError(429, "rate_limited", who + " is over its rate of " + rate + " for creating " + limit.what
                + "; retry after " + retryAfter + " s (the limit is " + Config.describe(limit.setting) + ")", details));
    }

    private static String address(RoutingContext ctx) {
        var remote = ctx.request().remoteAddress();
        return remote == null ? "unknown" : remote.hostAddress();
    }
}
