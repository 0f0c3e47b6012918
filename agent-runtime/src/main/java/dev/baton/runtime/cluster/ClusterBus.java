package dev.baton.runtime.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The clustered Vert.x event bus that nodes use to talk to each other: forwarded commands
 * (request/reply of {@code JsonObject}) and published run events.
 *
 * <p>It is a Vert.x instance of its own, clustered with the Hazelcast cluster manager, used for
 * nothing else: the server's main Vert.x stays non-clustered, so HTTP, the journal and the
 * orchestrator never wait on the cluster. Hazelcast only carries the event bus's
 * subscriptions and membership; PostgreSQL alone decides who owns what.
 *
 * <p>Hazelcast is configured here in code (no XML on the class path): TCP-IP join to
 * {@link Settings#members()} only, no multicast, no cloud auto-detection, no phone-home,
 * failure detection in seconds, logging through SLF4J.
 */
public final class ClusterBus {

    /**
     * Ports a member tries upward from {@link Settings#port()} when the port is taken (several nodes
     * on one host), and the ports a member address written without a port stands for.
     */
    public static final int PORT_RANGE = 20;

    /** Heartbeats between members; a member silent for {@link #MAX_NO_HEARTBEAT_SECONDS} is removed. */
    static final int HEARTBEAT_SECONDS = 1;

    /**
     * A member whose process died without closing its connections (a host lost, a cable pulled)
     * is removed after this long; one killed on a reachable host (kill -9: its sockets are reset)
     * is usually noticed sooner, when the connections to it fail.
     */
    static final int MAX_NO_HEARTBEAT_SECONDS = 5;

    /**
     * Hazelcast's maps here hold a few hundred event bus subscriptions: 31 partitions instead of 271
     * start no faster, but a join's partition migrations end sooner (measured: the cluster was safe
     * 0.3-0.5 s after a second node joined, against 0.2-1.7 s with 271), and a member paused in the
     * middle of one merges back only after Hazelcast's operation timeout (60 s).
     */
    static final int PARTITIONS = 31;

    /** See {@link #hazelcastConfig}: how long joining waits on others, in two places. */
    static final int JOIN_SECONDS = 1;

    static {
        // Hazelcast's static loggers read only the system property (the default is java.util.logging);
        // a user's own choice wins.
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ClusterBus.class);

    private final Vertx vertx;
    private final HazelcastInstance hazelcast;

    /** Requests waiting for a reply, by the member that alone can answer them. */
    private final Map<String, Set<Promise<?>>> pending = new ConcurrentHashMap<>();

    private ClusterBus(Vertx vertx, HazelcastInstance hazelcast) {
        this.vertx = vertx;
        this.hazelcast = hazelcast;
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String member = address(event.getMember());
                Set<Promise<?>> waiting = pending.remove(member);
                // Off Hazelcast's event thread: the callers' callbacks run on the bus's event loop.
                if (waiting != null) vertx.runOnContext(v -> waiting.forEach(p -> p.tryFail(gone(member))));
            }
        });
    }

    /**
     * Starts a clustered Vert.x and joins (or forms) the cluster named {@link Settings#clusterName()}.
     * Nothing blocks the calling thread: Hazelcast starts on a worker of the new Vert.x.
     *
     * @return the bus once this node is a member; failed (and cleaned up) if the member cannot start,
     * for example when no port of {@code port .. port + PORT_RANGE - 1} is free on {@code host}
     */
    public static Future<ClusterBus> start(Settings settings) {
        return start(settings, null, null);
    }

    /**
     * As {@link #start(Settings)}, with the clustered Vert.x reporting its metrics (event bus, pools) through
     * {@code metrics}, configured by {@code metricsOptions}: a Vert.x instance takes them only when it is made.
     * Both null for none.
     */
    public static Future<ClusterBus> start(Settings settings, MetricsOptions metricsOptions, VertxMetricsFactory metrics) {
        Objects.requireNonNull(settings, "settings");
        HazelcastClusterManager manager = new HazelcastClusterManager() {
            // The cluster manager calls this on a worker thread when it joins: a host name is
            // resolved there, not on the caller's thread.
            @Override
            public Config loadConfig() {
                return hazelcastConfig(settings);
            }
        };
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(settings.eventLoops())
                .setEventBusOptions(new EventBusOptions()
                        .setHost(settings.host())
                        .setClusterPublicHost(settings.host())
                        .setPort(settings.busPort())
                        // Vert.x waits 60 s for a TCP connection by default; between nodes that are alive,
                        // one takes milliseconds.
                        .setConnectTimeout(3_000));
        if (metricsOptions != null) options.setMetricsOptions(metricsOptions);
        VertxBuilder builder = Vertx.builder().with(options).withClusterManager(manager);
        if (metrics != null) builder = builder.withMetrics(metrics);
        // A failed start has closed its Vert.x already; the failure says where this node tried to start.
        return builder.buildClustered()
                .recover(e -> Future.failedFuture(new IllegalStateException("the cluster bus cannot start on " + settings.host()
                        + " (ports " + settings.port() + "-" + (settings.port() + PORT_RANGE - 1) + "): " + e.getMessage(), e)))
                .map(vertx -> new ClusterBus(vertx, manager.getHazelcastInstance()));
    }

    /** The clustered Vert.x; use it only for the bus, never for the server's own work. */
    public Vertx vertx() {
        return vertx;
    }

    public EventBus eventBus() {
        return vertx.eventBus();
    }

    /** "host:port" of this node's Hazelcast member: what other nodes put in their member lists. */
    public String memberAddress() {
        return address(hazelcast.getCluster().getLocalMember());
    }

    /** "host:port" of every member of the cluster as this node sees it now, this one included. */
    public List<String> memberAddresses() {
        List<String> addresses = new ArrayList<>();
        for (Member member : hazelcast.getCluster().getMembers()) addresses.add(address(member));
        return addresses;
    }

    /**
     * Sends a request to {@code address}, which only the member at {@code memberAddress} handles (a
     * run's owner, say), and fails as soon as that member is not or no longer in the cluster.
     *
     * <p>The event bus delivers at most once: a message written to a member that is dying is lost
     * without a word, and a plain {@code eventBus().request(...)} then waits for its whole timeout
     * (measured: 30 s of a 30 s timeout). This one fails with {@link ReplyFailure#NO_HANDLERS} when
     * the cluster removes the member (within {@value #MAX_NO_HEARTBEAT_SECONDS} s, less than one
     * when its process was killed on a host that is up), as a request made after that does.
     * The reply, or the failure, arrives on an event loop of this bus's Vert.x (or at once, on the
     * caller's thread, if the member is not in the cluster): hop back to your own context.
     */
    public <T> Future<Message<T>> request(String memberAddress, String address, Object body, DeliveryOptions options) {
        Promise<Message<T>> promise = Promise.promise();
        Set<Promise<?>> waiting = pending.computeIfAbsent(memberAddress, m -> ConcurrentHashMap.newKeySet());
        waiting.add(promise);
        // Registered before this check, so a member removed from now on fails the promise.
        if (!memberAddresses().contains(memberAddress)) {
            waiting.remove(promise);
            promise.fail(gone(memberAddress));
        } else {
            eventBus().<T>request(address, body, options).onComplete(reply -> {
                waiting.remove(promise);
                if (reply.succeeded()) promise.tryComplete(reply.result());
                else promise.tryFail(reply.cause());
            });
        }
        return promise.future();
    }

    private static ReplyException gone(String member) {
        return new ReplyException(ReplyFailure.NO_HANDLERS, "the cluster member " + member + " is gone");
    }

    /** Leaves the cluster and closes the Vert.x; the others see this member go at once. */
    public Future<Void> close() {
        return vertx.close();
    }

    /** For tests: the Hazelcast member, to terminate it abruptly. */
    HazelcastInstance hazelcast() {
        return hazelcast;
    }

    private static String address(Member member) {
        Address address = member.getAddress();
        return address.getHost() + ":" + address.getPort();
    }

    /** Hazelcast's configuration for {@code settings}; resolves {@link Settings#host()} (may block on DNS). */
    static Config hazelcastConfig(Settings settings) {
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // Vert.x closes Hazelcast itself (ClusterBus.close); the cluster manager sets this too.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.partition.count", Integer.toString(PARTITIONS));
        config.setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(HEARTBEAT_SECONDS));
        config.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(MAX_NO_HEARTBEAT_SECONDS));
        // Nodes started at the same moment may form two clusters before they see each other; they
        // merge at the next split-brain check, 300 s after start by default.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        // A clean stop hands this member's partitions to the others; bounded (600 s by default).
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
        config.setProperty("hazelcast.health.monitoring.level", "OFF");
        // The master waits this long after a join request for others to batch them (5 s by default):
        // the second node's start-up time.
        config.setProperty("hazelcast.wait.seconds.before.join", Integer.toString(JOIN_SECONDS));
        // A member that carries a few hundred subscriptions needs few threads (about 50 by default).
        config.setProperty("hazelcast.io.thread.count", "1");
        config.setProperty("hazelcast.operation.thread.count", "2");
        config.setProperty("hazelcast.operation.generic.thread.count", "1");
        config.setProperty("hazelcast.event.thread.count", "1");
        // Bind and advertise the configured address only, never every interface.
        config.setProperty("hazelcast.socket.bind.any", "false");

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(PORT_RANGE);
        network.getInterfaces().setEnabled(true).addInterface(ip(settings.host()));
        network.getJoin().getMulticastConfig().setEnabled(false);
        network.getJoin().getAutoDetectionConfig().setEnabled(false);
        network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(resolved(settings.memberAddresses()))
                // How long a starting member asks the others for their master before it may claim to be
                // one: 5 s by default. Connecting to a live member takes milliseconds, even across hosts.
                .setConnectionTimeoutSeconds(JOIN_SECONDS);

        // What the Vert.x cluster manager expects (its default-cluster.xml): the event bus's
        // subscriptions and node information, each with one backup so a member's death loses none.
        config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
        config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
        return config;
    }

    /**
     * Member addresses with their host names resolved: with a bind address configured, Hazelcast keeps
     * only the host names that resolve to one of this host's own addresses, so another host named by
     * name would be dropped. A name that does not resolve (yet) is left out, with a warning.
     */
    private static List<String> resolved(List<String> addresses) {
        List<String> resolved = new ArrayList<>();
        for (String address : addresses) {
            int colon = address.lastIndexOf(':');
            String host = address.substring(0, colon);
            if (host.startsWith("[")) {
                resolved.add(address);
                continue;
            }
            try {
                resolved.add(InetAddress.getByName(host).getHostAddress() + address.substring(colon));
            } catch (UnknownHostException e) {
                log.warn("The cluster member {} is left out: its host is not known ({})", address, e.getMessage());
            }
        }
        return resolved;
    }

    /** The IP address of {@code host}, which must be one of this host's own: the member binds it. */
    private static String ip(String host) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("the cluster host '" + host + "' is not a known address: " + e.getMessage(), e);
        }
        boolean own;
        try {
            own = !address.isAnyLocalAddress() && (address.isLoopbackAddress() || NetworkInterface.getByInetAddress(address) != null);
        } catch (SocketException e) {
            own = false;
        }
        if (!own) {
            throw new IllegalArgumentException("the cluster host '" + host + "' is not an address of one of this host's network interfaces;"
                    + " it must be the address the other nodes reach this one at");
        }
        return address.getHostAddress();
    }

    /**
     * How a node joins the cluster.
     *
     * @param clusterName only members with the same name join each other (Baton passes a digest of
     *                    the database URL, so that servers on different databases never meet)
     * @param host        the address this node binds and that the others reach it at (its member and
     *                    its event bus); an address of one of this host's interfaces
     * @param port        the member's first port; taken, it tries the next ones up to
     *                    {@code port + PORT_RANGE - 1}
     * @param members     where to look for the others, each "host", "host:port" or "host:port-port"
     *                    ("host" alone is {@code host:port-(port + PORT_RANGE - 1)});
     *                    empty: this host's ports {@code port .. port + PORT_RANGE - 1}, that is
     *                    127.0.0.1:5701-5720 by default
     * @param eventLoops  event-loop threads of the bus's Vert.x (1 or 2 is plenty)
     * @param busPort     the port of the event bus's own TCP server on {@code host}; 0 (the default) =
     *                    any free one, which the others learn from the cluster; set one where a firewall
     *                    between hosts must name it
     */
    public record Settings(String clusterName, String host, int port, List<String> members, int eventLoops, int busPort) {

        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 5701;
        public static final int DEFAULT_EVENT_LOOPS = 1;

        public Settings {
            if (clusterName == null || clusterName.isBlank()) {
                throw new IllegalArgumentException("the cluster name must not be empty");
            }
            host = host == null || host.isBlank() ? DEFAULT_HOST : host.trim();
            if (port < 1 || port > 65535 - PORT_RANGE + 1) {
                throw new IllegalArgumentException("the cluster port must be between 1 and " + (65535 - PORT_RANGE + 1) + ", not " + port);
            }
            members = members == null ? List.of() : members.stream().map(String::trim).filter(m -> !m.isEmpty()).toList();
            for (String member : members) MemberRange.parse(member, port);
            if (eventLoops < 1) throw new IllegalArgumentException("event loops must be at least 1, not " + eventLoops);
            if (busPort < 0 || busPort > 65535) throw new IllegalArgumentException("the event bus port must be between 0 and 65535, not " + busPort);
        }

        /** The defaults: 127.0.0.1, port 5701 and up, loopback discovery, one event loop, any bus port. */
        public static Settings of(String clusterName) {
            return new Settings(clusterName, DEFAULT_HOST, DEFAULT_PORT, List.of(), DEFAULT_EVENT_LOOPS, 0);
        }

        public Settings withHost(String host) {
            return new Settings(clusterName, host, port, members, eventLoops, busPort);
        }

        public Settings withPort(int port) {
            return new Settings(clusterName, host, port, members, eventLoops, busPort);
        }

        public Settings withMembers(List<String> members) {
            return new Settings(clusterName, host, port, members, eventLoops, busPort);
        }

        public Settings withEventLoops(int eventLoops) {
            return new Settings(clusterName, host, port, members, eventLoops, busPort);
        }

        public Settings withBusPort(int busPort) {
            return new Settings(clusterName, host, port, members, eventLoops, busPort);
        }

        /** Every "host:port" the join tries, ranges expanded (Hazelcast's member list takes no port ranges). */
        List<String> memberAddresses() {
            List<String> given = members.isEmpty() ? List.of(host) : members;
            Set<String> addresses = new LinkedHashSet<>();
            for (String member : given) addresses.addAll(MemberRange.parse(member, port).addresses());
            return List.copyOf(addresses);
        }
    }

    /** One entry of {@link Settings#members()}: a host and a range of ports. */
    record MemberRange(String host, int from, int to) {

        static MemberRange parse(String text, int defaultPort) {
            String s = text.trim();
            String host;
            String ports;
            if (s.startsWith("[")) { // [IPv6] or [IPv6]:port
                int end = s.indexOf(']');
                if (end < 0) throw invalid(text);
                host = s.substring(1, end);
                String rest = s.substring(end + 1);
                if (!rest.isEmpty() && !rest.startsWith(":")) throw invalid(text);
                ports = rest.isEmpty() ? "" : rest.substring(1);
            } else {
                int colon = s.indexOf(':');
                if (colon != s.lastIndexOf(':')) throw invalid(text); // a bare IPv6 address needs brackets
                host = colon < 0 ? s : s.substring(0, colon);
                ports = colon < 0 ? "" : s.substring(colon + 1);
            }
            if (host.isEmpty() || host.contains("/") || host.contains(" ")) throw invalid(text);
            if (ports.isEmpty()) {
                if (s.endsWith(":")) throw invalid(text);
                return new MemberRange(host, defaultPort, defaultPort + PORT_RANGE - 1);
            }
            int dash = ports.indexOf('-');
            int from = port(dash < 0 ? ports : ports.substring(0, dash), text);
            int to = dash < 0 ? from : port(ports.substring(dash + 1), text);
            if (to < from || to - from >= 100) {
                throw new IllegalArgumentException("cluster member '" + text + "': a port range goes upward and spans at most 100 ports");
            }
            return new MemberRange(host, from, to);
        }

        List<String> addresses() {
            String h = host.contains(":") ? "[" + host + "]" : host;
            List<String> addresses = new ArrayList<>();
            for (int p = from; p <= to; p++) addresses.add(h + ":" + p);
            return addresses;
        }

        private static int port(String digits, String text) {
            try {
                int port = Integer.parseInt(digits);
                if (port >= 1 && port <= 65535) return port;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw invalid(text);
        }

        private static IllegalArgumentException invalid(String text) {
            return new IllegalArgumentException("cluster member '" + text + "' is not host, host:port or host:port-port");
        }
    }
}
