package dev.baton.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Counts what the HTTP edge refused or cut off, as counters in the server's registry: every
 * label value is registered up front, so that each series exists (at 0) before its first event.
 */
final class EdgeMetrics {
    /** Why a connection was closed by the server before a request was complete. */
    enum Closed { HEADER_TIMEOUT, BODY_TIMEOUT }

    /** Why the no-token guard refused a request with 403. */
    enum Refused { HOST, ORIGIN }

    /** The statuses Vert.x answers a request it cannot parse with. */
    private static final int[] INVALID = {400, 414, 431};

    private final Map<RateLimits.Limit, Counter> rateLimited;
    private final Map<Closed, Counter> closed;
    private final Map<Refused, Counter> refused;
    private final Counter[] invalid = new Counter[INVALID.length];

    EdgeMetrics(MeterRegistry registry) {
        rateLimited = counters(registry, RateLimits.Limit.class, "baton.http.rate.limited", "limit", RateLimits.Limit::label,
                "Requests answered 429 by a per-caller rate limit (BATON_RATE_RUNS, _TICKETS, _TRIGGERS, _EVENTS), per limit.");
        closed = counters(registry, Closed.class, "baton.http.connections.closed", "reason", EdgeMetrics::lower,
                "Connections closed because a request's head (BATON_HEADER_TIMEOUT, counted from the connection's opening or the"
                        + " previous response, so idle keep-alive connections count too) or body (BATON_BODY_TIMEOUT) came too slowly.");
        refused = counters(registry, Refused.class, "baton.http.refused", "reason", EdgeMetrics::lower,
                "Requests answered 403 by the no-token guard: a Host header the server does not answer to (DNS rebinding), or a"
                        + " state-changing request from another site's page (Origin).");
        for (int i = 0; i < INVALID.length; i++) {
            invalid[i] = Counter.builder("baton.http.invalid.requests")
                    .description("Requests that could not be parsed, by the status answered: 414 request line too long,"
                            + " 431 headers too large, 400 other.")
                    .tag("status", String.valueOf(INVALID[i])).register(registry);
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> Map<E, Counter> counters(MeterRegistry registry, Class<E> type, String name, String tag,
                                                               Function<E, String> value, String help) {
        Map<E, Counter> map = new EnumMap<>(type);
        for (E e : type.getEnumConstants()) {
            map.put(e, Counter.builder(name).description(help).tag(tag, value.apply(e)).register(registry));
        }
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
}
