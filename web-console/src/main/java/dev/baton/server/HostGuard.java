package dev.baton.server;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Keeps other web sites out of a server that runs without tokens. Such a server listens on
 * loopback only, but the developer's browser is on loopback too, and any page it shows can send
 * requests there. Two checks, as local development servers do (webpack-dev-server, Jupyter):
 * <ul>
 *   <li><b>Host</b>, on every request: a page whose DNS name was re-pointed at 127.0.0.1 (DNS
 *       rebinding) reads and writes as if it were same-origin, but its requests carry its own name in
 *       {@code Host}. Accepted: {@code localhost} and {@code *.localhost} (browsers resolve those to
 *       loopback themselves), any IP address (no DNS is involved, so nothing can be rebound), the bind
 *       host, and the names in BATON_ALLOWED_HOSTS (for a reverse proxy). Any port: the port does not
 *       tell an attacker's name from ours, and tunnels ({@code ssh -L 9000:127.0.0.1:8080}) change it.</li>
 *   <li><b>Origin</b>, on requests that may change something (not GET, HEAD, OPTIONS): browsers send
 *       it on every such request (fetch, forms), and a page of another site (another host or port)
 *       is refused. Clients that are not browsers send none and pass. With the JSON-only rule
 *       ({@link Bodies#requireJson}) this also holds for browsers that omit Origin on forms.</li>
 * </ul>
 * With tokens neither attack can authenticate (the token is not a cookie), so the Host check only
 * applies when BATON_ALLOWED_HOSTS is set, and the Origin check not at all.
 */
final class HostGuard {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f:.]+(%[0-9a-z._~-]+)?]");

    private final boolean checkHost;
    private final boolean checkOrigin;
    private final String bindHost;
    private final Set<String> names;
    private final List<String> suffixes;
    private final EdgeMetrics metrics;

    HostGuard(Config config, EdgeMetrics metrics) {
        boolean noTokens = config.tokens().isEmpty();
        Set<String> allowed = config.edge().allowedHosts();
        this.checkHost = noTokens || !allowed.isEmpty();
        this.checkOrigin = noTokens;
        this.bindHost = normalise(config.host());
        this.names = allowed;
        this.suffixes = allowed.stream().filter(n -> n.startsWith("*.")).map(n -> n.substring(1)).toList();
        this.metrics = metrics;
    }

    /** Whether this guard checks anything (a server with tokens and no BATON_ALLOWED_HOSTS needs no handler). */
    boolean active() {
        return checkHost || checkOrigin;
    }

    /** Route handler for every path. */
    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HostAndPort authority = request.authority();
        String hostHeader = request.getHeader("Host");
        if (checkHost) {
            String host = authority == null ? null : normalise(authority.host());
            // No Host at all (an HTTP/1.0 client) is not a browser; a Host that does not parse is refused.
            if ((authority == null && hostHeader != null) || (host != null && !allowed(host))) {
                metrics.refused(EdgeMetrics.Refused.HOST);
                ApiError.send(ctx, new ApiError(403, "host_header_refused", hostMessage(hostHeader)));
                return;
            }
        }
        if (checkOrigin && changes(request.method())) {
            String origin = request.getHeader("Origin");
            if (origin != null && !sameOrigin(origin, authority)) {
                metrics.refused(EdgeMetrics.Refused.ORIGIN);
                ApiError.send(ctx, new ApiError(403, "cross_origin", "a " + request.method() + " from the page at '" + origin
                        + "' is refused: this server runs without tokens, so only its own pages may change anything"
                        + " (a defence against cross-site requests). To call the API from another site's page, configure"
                        + " BATON_TOKENS and send a bearer token."));
                return;
            }
        }
        ctx.next();
    }

    private String hostMessage(String hostHeader) {
        String why = checkOrigin
                ? "this server runs without tokens, so it answers only to localhost, IP addresses, its bind host '" + bindHost + "'"
                  + " and the names in BATON_ALLOWED_HOSTS (a defence against DNS rebinding)"
                : "this server answers only to localhost, IP addresses, its bind host '" + bindHost + "' and the names in"
                  + " BATON_ALLOWED_HOSTS";
        return why + "; this request's Host header is '" + hostHeader + "'. To reach the server under that name, e.g. through a"
                + " reverse proxy, add the name to BATON_ALLOWED_HOSTS (--allowed-hosts), comma-separated.";
    }

    private static boolean changes(HttpMethod method) {
        return method != HttpMethod.GET && method != HttpMethod.HEAD && method != HttpMethod.OPTIONS;
    }

    /** {@code host} lower-cased, without a trailing dot. */
    private static String normalise(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    boolean allowed(String host) {
        if (host.equals("localhost") || host.endsWith(".localhost")) return true;
        if (IPV4.matcher(host).matches() || IPV6.matcher(host).matches()) return true;
        if (host.equals(bindHost) || ("[" + bindHost + "]").equals(host)) return true;
        if (names.contains(host)) return true;
        for (String suffix : suffixes) {
            if (host.endsWith(suffix)) return true;
        }
        return false;
    }

    /**
     * Whether the page at {@code origin} is this server as the browser addressed it: the same host
     * and port as the request's Host (a reverse proxy that keeps Host keeps this true), or a name in
     * BATON_ALLOWED_HOSTS (for a proxy that rewrites Host). {@code null} (sandboxed frames, files) is not.
     */
    private boolean sameOrigin(String origin, HostAndPort authority) {
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (Exception e) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) return false;
        String host = normalise(uri.getHost());
        int defaultPort = scheme.equals("https") ? 443 : 80;
        int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
        if (authority != null && host.equals(normalise(authority.host()))
                && port == (authority.port() < 0 ? defaultPort : authority.port())) {
            return true;
        }
        if (names.contains(host)) return true;
        for (String suffix : suffixes) {
            if (host.endsWith(suffix)) return true;
        }
        return false;
    }
}
