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
        ApiError refused = take(limit, rate, Auth.caller(ctx), address(ctx));
        if (refused == null) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("Retry-After", refused.details.path("retryAfterSeconds").asText());
        ApiError.send(ctx, refused);
    }

    /**
     * Takes one from the caller's bucket of {@code limit} for a request that comes another way than
     * its route (the MCP tools {@code start_run} and {@code create_ticket}): the same bucket, so a
     * caller's runs count alike through either door. Throws the route's 429 when the caller is over.
     */
    void take(Limit limit, Caller caller, String address) {
        EdgeSettings.Rate rate = rates.get(limit);
        if (rate == null) return;
        ApiError refused = take(limit, rate, caller, address);
        if (refused != null) throw refused;
    }

    /** Null when allowed, else the refusal (429 rate_limited, with the seconds to wait in its details). */
    private ApiError take(Limit limit, EdgeSettings.Rate rate, Caller caller, String address) {
        boolean byAddress = caller == null || caller == Caller.LOCAL || caller == Auth.WEBHOOK;
        String who = byAddress ? "address " + address : "token '" + caller.name() + "'";
        Bucket bucket = buckets.get(limit.name() + ' ' + who, k -> Bucket.builder()
                .addLimit(l -> l.capacity(rate.count()).refillGreedy(rate.count(), rate.period())).build());
        ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) return null;
        long retryAfter = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        metrics.rateLimited(limit);
        ObjectNode details = Json.object();
        details.put("limit", rate.toString());
        details.put("retryAfterSeconds", retryAfter);
        return new ApiError(429, "rate_limited", who + " is over its rate of " + rate + " for creating " + limit.what
                + "; retry after " + retryAfter + " s (the limit is " + Config.describe(limit.setting) + ")", details);
    }

    static String address(RoutingContext ctx) {
        var remote = ctx.request().remoteAddress();
        return remote == null ? "unknown" : remote.hostAddress();
    }
}
