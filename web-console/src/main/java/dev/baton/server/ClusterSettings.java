package dev.baton.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How this server joins the others on the same PostgreSQL journal (see docs/cluster.md).
 * Every default works for several servers on one host.
 *
 * @param host    the address other nodes reach this one at: its cluster member and event bus bind
 *                and advertise it (BATON_CLUSTER_HOST)
 * @param port    the cluster member's first port; on one host the next free one upward (BATON_CLUSTER_PORT)
 * @param members other nodes to join, host[:port]; empty: the live nodes the database lists plus the
 *                loopback ports (BATON_CLUSTER_MEMBERS)
 * @param lease   how long a node's lease lasts (renewed every fifth of it): a node dead for that long has its
 *                runs taken over; one paused for that long is fenced (BATON_CLUSTER_LEASE)
 * @param nodeId  the node's name in {@code /api/cluster} and in logs (BATON_NODE_ID)
 * @param busPort the port of the node's event bus on {@code host}; 0: any free one, which the others learn from
 *                the cluster (BATON_CLUSTER_BUS_PORT; set it where a firewall between hosts must name it)
 */
public record ClusterSettings(String host, int port, List<String> members, Duration lease, String nodeId, int busPort) {

    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(5);

    public ClusterSettings {
        members = List.copyOf(members);
        if (lease.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("the cluster lease must be from 1s to 10m, was " + lease);
        }
    }

    public static ClusterSettings defaults() {
        return new ClusterSettings("127.0.0.1", 5701, List.of(), DEFAULT_LEASE, defaultNodeId(), 0);
    }

    /** Host name and process id: unique on a host, readable in logs. */
    static String defaultNodeId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "node";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /** Reads the settings; {@code value} gives each setting's text (its default when unset). */
    static ClusterSettings load(Function<Config.Setting, String> value) {
        String host = value.apply(Config.Setting.CLUSTER_HOST).trim();
        if (host.isEmpty()) throw new ConfigException(Config.describe(Config.Setting.CLUSTER_HOST) + " must not be empty");
        String portText = value.apply(Config.Setting.CLUSTER_PORT).trim();
        int port;
        try {
            port = Integer.parseInt(portText);
            if (port < 1 || port > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new ConfigException(Config.describe(Config.Setting.CLUSTER_PORT) + " must be a port number from 1 to 65535; got '"
                    + portText + "'");
        }
        List<String> members = Arrays.stream(value.apply(Config.Setting.CLUSTER_MEMBERS).split(","))
                .map(String::trim).filter(m -> !m.isEmpty()).toList();
        Duration lease = duration(Config.Setting.CLUSTER_LEASE, value.apply(Config.Setting.CLUSTER_LEASE).trim());
        String nodeId = value.apply(Config.Setting.NODE_ID).trim();
        if (nodeId.isEmpty()) nodeId = defaultNodeId();
        if (nodeId.length() > 200) throw new ConfigException(Config.describe(Config.Setting.NODE_ID) + " must be at most 200 characters");
        String busText = value.apply(Config.Setting.CLUSTER_BUS_PORT).trim();
        int busPort;
        try {
            busPort = Integer.parseInt(busText);
            if (busPort < 0 || busPort > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new ConfigException(Config.describe(Config.Setting.CLUSTER_BUS_PORT) + " must be a port number from 0 (any free one)"
                    + " to 65535; got '" + busText + "'");
        }
        try {
            return new ClusterSettings(host, port, members, lease, nodeId, busPort);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(Config.describe(Config.Setting.CLUSTER_LEASE) + ": " + e.getMessage());
        }
    }

    /** {@code 5s}, {@code 1500ms}, {@code 2m} or ISO-8601 ({@code PT5S}). */
    static Duration duration(Config.Setting setting, String text) {
        String t = text.toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt")) return Duration.parse(text.toUpperCase(Locale.ROOT));
            if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            if (t.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1).trim()) * 1000));
            if (t.endsWith("m")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).trim()) * 60);
        } catch (NumberFormatException | DateTimeParseException e) {
            // the message below
        }
        throw new ConfigException(Config.describe(setting) + " must be a duration such as 5s, 1500ms, 2m or PT5S; got '" + text + "'");
    }
}
