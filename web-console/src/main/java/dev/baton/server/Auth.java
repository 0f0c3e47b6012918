package dev.baton.server;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Bearer-token authentication and role checks. With no tokens configured every caller is
 * {@link Caller#LOCAL} (the server then listens on loopback only, see {@link Config}).
 */
final class Auth {
    static final String CALLER = "baton.caller";
    private static final Pattern EVENTS = Pattern.compile("/api/runs/[^/]+/events");
    private static final Pattern TRIGGER_EVENTS = Pattern.compile("/api/triggers/[^/]+/events");
    /**
     * A caller of a trigger's event route without a bearer token (a webhook): it holds no role,
     * and only an event signed with the trigger's secret gets through (see TriggerRoutes).
     */
    static final Caller WEBHOOK = new Caller("webhook", java.util.Set.of());

    private final Map<String, Caller> tokens;

    Auth(Map<String, Caller> tokens) {
        this.tokens = tokens;
    }

    /** Route handler: resolves the caller or answers 401. */
    void authenticate(RoutingContext ctx) {
        if (tokens.isEmpty()) {
            ctx.put(CALLER, Caller.LOCAL);
            ctx.next();
            return;
        }
        String token = null;
        String header = ctx.request().getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = header.substring(7).trim();
        } else if (ctx.request().getParam("access_token") != null && eventStream(ctx)) {
            // EventSource in browsers cannot send headers; the event streams accept the token as a parameter.
            // Nothing else does: a token in a URL ends up in logs and histories.
            token = ctx.request().getParam("access_token");
        }
        if (token == null && ctx.request().method() == HttpMethod.POST && TRIGGER_EVENTS.matcher(ctx.request().path()).matches()) {
            ctx.put(CALLER, WEBHOOK);
            ctx.next();
            return;
        }
        Caller caller = token == null ? null : find(token);
        if (caller == null) {
            ApiError.send(ctx, new ApiError(401, "unauthorized", token == null
                    ? "this server requires a bearer token: send 'Authorization: Bearer <token>'"
                    : "the bearer token is not valid"));
            return;
        }
        ctx.put(CALLER, caller);
        ctx.next();
    }

    private static boolean eventStream(RoutingContext ctx) {
        String path = ctx.request().path();
        return ctx.request().method() == HttpMethod.GET && (path.equals("/api/events") || EVENTS.matcher(path).matches());
    }

    /** Compares in constant time so that response timing does not leak a token's prefix. */
    private Caller find(String token) {
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        Caller found = null;
        for (Map.Entry<String, Caller> entry : tokens.entrySet()) {
            if (MessageDigest.isEqual(given, entry.getKey().getBytes(StandardCharsets.UTF_8))) found = entry.getValue();
        }
        return found;
    }

    static Caller caller(RoutingContext ctx) {
        return ctx.get(CALLER);
    }

    /** Fails with 403 unless the caller holds the role. */
    static Caller require(RoutingContext ctx, Role role) {
        Caller caller = caller(ctx);
        if (!caller.may(role)) {
            throw new ApiError(403, "forbidden", "'" + caller.name() + "' lacks the role " + role.name().toLowerCase()
                    + " needed for " + ctx.request().method() + " " + ctx.request().path());
        }
        return caller;
    }
}
