package dev.baton.server;

import dev.baton.server.metrics.PrometheusText;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counts what the HTTP edge refused or cut off, for {@code /metrics}. */
final class EdgeMetrics {
    /** Why a connection was closed by the server before a request was complete. */
    enum Closed { HEADER_TIMEOUT, BODY_TIMEOUT }

    /** Why the no-token guard refused a request with 403. */
    enum Refused { HOST, ORIGIN }

    /** The statuses Vert.x answers a request it cannot parse with. */
    private static final int[] INVALID = {400, 414, 431};

    private final Map<RateLimits.Limit, LongAdder> rateLimited = counters(RateLimits.Limit.class);
    private final Map<Closed, LongAdder> closed = counters(Closed.class);
    private final Map<Refused, LongAdder> refused = counters(Refused.class);
    private final LongAdder[] invalid = {new LongAdder(), new LongAdder(), new LongAdder()};

    private static <E extends Enum<E>> Map<E, LongAdder> counters(Class<E> type) {
        Map<E, LongAdder> map = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) map.put(e, new LongAdder());
        return map;
    }

    void rateLimited(RateLimits.Limit limit) {
        rateLimited.get(limit).increment();
    }

    void closed(Closed why) {
        closed.get(why).increment();
    }

    void refused(Refused why) {
        refused.get(why).increment();
    }

    void invalid(int status) {
        for (int i = 0; i < INVALID.length; i++) {
            if (INVALID[i] == status) invalid[i].increment();
        }
    }

    void write(PrometheusText out) {
        out.family("baton_http_rate_limited_total", "counter",
                "Requests answered 429 by a per-caller rate limit (BATON_RATE_RUNS, _TICKETS, _TRIGGERS, _EVENTS), per limit.");
        for (var e : rateLimited.entrySet()) out.sample("baton_http_rate_limited_total", e.getValue().sum(), "limit", e.getKey().label());
        out.family("baton_http_connections_closed_total", "counter",
                "Connections closed because a request's head (BATON_HEADER_TIMEOUT, counted from the connection's opening or the"
                        + " previous response, so idle keep-alive connections count too) or body (BATON_BODY_TIMEOUT) came too slowly.");
        for (var e : closed.entrySet()) {
            out.sample("baton_http_connections_closed_total", e.getValue().sum(), "reason", e.getKey().name().toLowerCase(java.util.Locale.ROOT));
        }
        out.family("baton_http_refused_total", "counter",
                "Requests answered 403 by the no-token guard: a Host header the server does not answer to (DNS rebinding), or a"
                        + " state-changing request from another site's page (Origin).");
        for (var e : refused.entrySet()) {
            out.sample("baton_http_refused_total", e.getValue().sum(), "reason", e.getKey().name().toLowerCase(java.util.Locale.ROOT));
        }
        out.family("baton_http_invalid_requests_total", "counter",
                "Requests that could not be parsed, by the status answered: 414 request line too long, 431 headers too large, 400 other.");
        for (int i = 0; i < INVALID.length; i++) out.sample("baton_http_invalid_requests_total", invalid[i].sum(), "status", String.valueOf(INVALID[i]));
    }
}
