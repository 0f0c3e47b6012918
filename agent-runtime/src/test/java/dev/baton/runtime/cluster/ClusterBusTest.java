package dev.baton.runtime.cluster;

import com.hazelcast.core.Hazelcast;
import dev.baton.runtime.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several {@link ClusterBus} nodes, each a Hazelcast member on 127.0.0.1, in this JVM and in child
 * JVMs ({@link ClusterBusNode}): they form one cluster even when started at the same moment, carry
 * request/reply and publish between them, notice a member that vanished without leaving
 * (terminated, kill -9, SIGSTOP) and fail the requests it can no longer answer, take a paused one
 * back, and never join a cluster of another name.
 *
 * <p>Each test uses its own cluster name and a range of free ports of its own, so that other
 * Hazelcast members on this host (other test runs, servers) neither join nor slow these ones.
 * The figures printed ([figures] lines: start, join, heap, latency, detection) are for the report;
 * only bounds the brief sets are asserted (a death noticed within seconds, a request failing fast).
 */
class ClusterBusTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<ClusterBus> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        List<Future<Void>> closing = new ArrayList<>();
        for (ClusterBus bus : started) closing.add(bus.close().recover(e -> Future.succeededFuture())); // a terminated one may fail to leave
        await(Future.join(closing));
    }

    @Test
    void threeNodesStartedAtTheSameMomentFormOneCluster() throws Exception {
        ClusterBus.Settings settings = settings();
        long t0 = System.nanoTime();
        List<Future<ClusterBus>> starting = IntStream.range(0, 3).mapToObj(i -> start(settings)).toList();
        List<ClusterBus> nodes = new ArrayList<>();
        for (Future<ClusterBus> f : starting) nodes.add(await(f));
        long startedMs = ms(t0);
        // A member that formed a cluster of its own and merged into the others later gets a new uuid:
        // the uuids they started with must be the ones of the final cluster.
        Set<UUID> startedAs = nodes.stream().map(ClusterBusTest::uuid).collect(Collectors.toSet());
        for (ClusterBus node : nodes) {
            Await.until(node.memberAddress() + " to see 3 members", WAIT, node::memberAddresses, m -> m.size() == 3);
        }
        System.out.printf("[figures] 3 nodes started at once: all started after %d ms, one cluster of 3 after %d ms%n",
                startedMs, ms(t0));
        List<String> addresses = nodes.stream().map(ClusterBus::memberAddress).sorted().toList();
        for (ClusterBus node : nodes) {
            assertEquals(addresses, node.memberAddresses().stream().sorted().toList(), "the members " + node.memberAddress() + " sees");
            assertEquals(startedAs, memberUuids(node), "one cluster from the start, not one merged from several");
            assertTrue(node.memberAddress().startsWith("127.0.0.1:"), node.memberAddress());
        }
    }

    @Test
    void threeProcessesStartedAtTheSameMomentFormOneCluster() throws Exception {
        ClusterBus.Settings settings = settings();
        List<CompletableFuture<Child>> starting = IntStream.range(0, 3).mapToObj(i -> CompletableFuture.supplyAsync(() -> {
            try {
                return Child.start(settings);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        })).toList();
        List<Child> children = new ArrayList<>();
        try {
            for (CompletableFuture<Child> f : starting) children.add(f.get(120, TimeUnit.SECONDS));
            Set<UUID> startedAs = children.stream().map(c -> UUID.fromString(c.ready()[6])).collect(Collectors.toSet());
            ClusterBus observer = await(start(settings));
            Await.until("the observer to see the 3 processes", WAIT, observer::memberAddresses, m -> m.size() == 4);
            Set<UUID> expected = new java.util.HashSet<>(startedAs);
            expected.add(uuid(observer));
            assertEquals(expected, memberUuids(observer), "the processes' cluster is the one each started in, not one merged from several");
            for (Child child : children) {
                assertEquals(child.member(), await(observer.<JsonObject>request(child.member(), "node." + child.member(), new JsonObject(),
                        new DeliveryOptions())).body().getString("answeredBy"));
            }
            System.out.printf("[figures] 3 processes started at once: each started in %s ms%n",
                    children.stream().map(c -> c.ready()[2]).toList());
        } finally {
            for (CompletableFuture<Child> f : starting) f.thenAccept(c -> {
                try {
                    c.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private static UUID uuid(ClusterBus bus) {
        return bus.hazelcast().getCluster().getLocalMember().getUuid();
    }

    private static Set<UUID> memberUuids(ClusterBus bus) {
        return bus.hazelcast().getCluster().getMembers().stream().map(com.hazelcast.cluster.Member::getUuid).collect(Collectors.toSet());
    }

    @Test
    void aRequestIsAnsweredByAnotherNode() throws Exception {
        ClusterBus.Settings settings = settings();
        int busPort = freePort();
        long t0 = System.nanoTime();
        ClusterBus first = await(start(settings.withBusPort(busPort))); // the other finds it on this port
        long firstMs = ms(t0);
        long t1 = System.nanoTime();
        ClusterBus second = await(start(settings));
        Await.until("the second node to join the first", WAIT, first::memberAddresses, m -> m.size() == 2);
        System.out.printf("[figures] start: first node %d ms, second node joining %d ms%n", firstMs, ms(t1));

        await(first.eventBus().<JsonObject>consumer("commands.first", message -> message.reply(
                new JsonObject().put("answeredBy", first.memberAddress()).put("echo", message.body().getValue("n"))))
                .completion());

        JsonObject answer = await(second.eventBus().<JsonObject>request("commands.first", new JsonObject().put("n", 7))).body();
        assertEquals(new JsonObject().put("answeredBy", first.memberAddress()).put("echo", 7), answer);
        assertThrows(IOException.class, () -> new ServerSocket(busPort, 1, InetAddress.getByName("127.0.0.1")).close(),
                "the first node's event bus listens on the port it was given");

        // Latency of request/reply between two nodes (same JVM, loopback): figures only.
        for (int i = 0; i < 500; i++) await(second.eventBus().request("commands.first", new JsonObject().put("n", i)));
        int rounds = 2_000;
        long[] nanos = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long s = System.nanoTime();
            await(second.eventBus().request("commands.first", new JsonObject().put("n", i)));
            nanos[i] = System.nanoTime() - s;
        }
        Arrays.sort(nanos);
        System.out.printf("[figures] request/reply between two nodes, %d rounds: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                rounds, nanos[rounds / 2] / 1e6, nanos[rounds * 99 / 100] / 1e6, nanos[rounds - 1] / 1e6);
    }

    @Test
    void aPublishedEventReachesEveryNodesConsumerOnce() throws Exception {
        ClusterBus.Settings settings = settings();
        List<ClusterBus> nodes = List.of(await(start(settings)), await(start(settings)), await(start(settings)));
        for (ClusterBus node : nodes) Await.until("a cluster of 3", WAIT, node::memberAddresses, m -> m.size() == 3);

        List<List<Integer>> received = new ArrayList<>();
        List<Future<Void>> registered = new ArrayList<>();
        for (ClusterBus node : nodes) {
            List<Integer> mine = new CopyOnWriteArrayList<>();
            received.add(mine);
            MessageConsumer<JsonObject> consumer = node.eventBus().consumer("events.run-1", m -> mine.add(m.body().getInteger("seq")));
            registered.add(consumer.completion());
        }
        await(Future.all(registered));

        int events = 100;
        for (int seq = 1; seq <= events; seq++) nodes.get(1).eventBus().publish("events.run-1", new JsonObject().put("seq", seq));
        nodes.get(1).eventBus().publish("events.run-1", new JsonObject().put("seq", -1)); // the end: no duplicate can follow it

        List<Integer> expected = IntStream.rangeClosed(1, events).boxed().toList();
        for (int i = 0; i < nodes.size(); i++) {
            List<Integer> mine = received.get(i);
            Await.until("node " + i + " to receive the last event", WAIT, () -> mine.contains(-1));
            assertEquals(expected, mine.subList(0, mine.size() - 1), "what node " + i + " received, in order, once each");
        }
    }

    @Test
    void aMemberTerminatedAbruptlyIsNoticedAndRequestsToItFailFast() throws Exception {
        ClusterBus.Settings settings = settings();
        List<ClusterBus> nodes = List.of(await(start(settings)), await(start(settings)), await(start(settings)));
        for (ClusterBus node : nodes) Await.until("a cluster of 3", WAIT, node::memberAddresses, m -> m.size() == 3);
        ClusterBus doomed = nodes.get(2);
        String doomedMember = doomed.memberAddress();
        await(doomed.eventBus().<JsonObject>consumer("commands.doomed", m -> m.reply(new JsonObject().put("ok", true))).completion());
        ClusterBus asker = nodes.get(0);
        assertEquals(true, await(asker.<JsonObject>request(doomedMember, "commands.doomed", new JsonObject(), new DeliveryOptions()))
                .body().getBoolean("ok"));

        long t0 = System.nanoTime();
        // As close to kill -9 as one JVM allows: the member stops without a word to the others, then
        // its event bus server closes (a killed process has neither).
        doomed.hazelcast().getLifecycleService().terminate();
        doomed.vertx().close();
        // Sent at once, before anyone noticed: on the plain event bus this one would wait 30 s.
        AtomicLong inFlightFailedMs = new AtomicLong(-1);
        Future<Message<Object>> inFlight = asker.request(doomedMember, "commands.doomed", new JsonObject(), new DeliveryOptions().setSendTimeout(30_000))
                .onFailure(e -> inFlightFailedMs.set(ms(t0)));
        for (ClusterBus survivor : nodes.subList(0, 2)) {
            Await.until(survivor.memberAddress() + " to see 2 members", WAIT, survivor::memberAddresses, m -> m.size() == 2);
        }
        long noticedMs = ms(t0);
        ReplyException inFlightFailure = failure(inFlight);

        long t1 = System.nanoTime();
        ReplyException after = failure(asker.request(doomedMember, "commands.doomed", new JsonObject(), new DeliveryOptions().setSendTimeout(30_000)));
        long afterMs = ms(t1);
        // Failed fast either way: NO_HANDLERS once the member was removed, or the bus's own "Discarded the request"
        // (as a TIMEOUT, long before the 30 s) when the dead member's connection closed first.
        assertTrue(inFlightFailure.failureType() == ReplyFailure.NO_HANDLERS
                        || inFlightFailure.getMessage().startsWith("Discarded the request"),
                inFlightFailure.failureType() + ": " + inFlightFailure.getMessage());
        assertEquals(ReplyFailure.NO_HANDLERS, after.failureType(), after.getMessage());
        assertTrue(inFlightFailedMs.get() < 10_000, "the request in flight failed after " + inFlightFailedMs + " ms");
        long plainMs = plainRequestsFindNoHandler(asker, "commands.doomed", t0);
        System.out.printf("[figures] member terminated: the others saw 2 members after %d ms; a request in flight failed after %d ms;"
                + " one sent then failed after %d ms; plain event bus requests found no handler from %d ms%n",
                noticedMs, inFlightFailedMs.get(), afterMs, plainMs);

        // The survivors still talk to each other.
        ClusterBus survivor = nodes.get(1);
        await(survivor.eventBus().<JsonObject>consumer("commands.survivor", m -> m.reply(new JsonObject().put("ok", true))).completion());
        assertEquals(true, await(asker.<JsonObject>request(survivor.memberAddress(), "commands.survivor", new JsonObject(),
                new DeliveryOptions())).body().getBoolean("ok"));
    }

    @Test
    void aNodeKilledWithSigkillIsNoticedWithinSecondsAndRequestsToItFail() throws Exception {
        ClusterBus.Settings settings = settings();
        ClusterBus survivor = await(start(settings));
        Child child = Child.start(settings);
        try {
            String member = child.member();
            System.out.printf("[figures] a node in a JVM of its own: started in %s ms (joining one), heap used after GC %d -> %d MiB, %s threads more%n",
                    child.ready()[2], Long.parseLong(child.ready()[3]) >> 20, Long.parseLong(child.ready()[4]) >> 20, child.ready()[5]);
            Await.until("the child to join", WAIT, survivor::memberAddresses, m -> m.contains(member) && m.size() == 2);
            assertEquals(member, await(survivor.<JsonObject>request(member, "node." + member, new JsonObject(), new DeliveryOptions()))
                    .body().getString("answeredBy"));

            long t0 = System.nanoTime();
            child.process().destroyForcibly(); // SIGKILL
            AtomicLong inFlightFailedMs = new AtomicLong(-1);
            Future<Message<Object>> inFlight = survivor.request(member, "node." + member, new JsonObject(), new DeliveryOptions().setSendTimeout(30_000))
                    .onFailure(e -> inFlightFailedMs.set(ms(t0)));
            Await.until("the survivor to see the child gone", WAIT, survivor::memberAddresses, m -> m.size() == 1);
            long noticedMs = ms(t0);
            ReplyException inFlightFailure = failure(inFlight);
            // Failed fast either way: NO_HANDLERS once the member was removed, or the bus's own "Discarded the request"
        // (as a TIMEOUT, long before the 30 s) when the dead member's connection closed first.
        assertTrue(inFlightFailure.failureType() == ReplyFailure.NO_HANDLERS
                        || inFlightFailure.getMessage().startsWith("Discarded the request"),
                inFlightFailure.failureType() + ": " + inFlightFailure.getMessage());
            long plainMs = plainRequestsFindNoHandler(survivor, "node." + member, t0);
            System.out.printf("[figures] kill -9 of a node: noticed after %d ms; a request in flight failed after %d ms;"
                    + " plain event bus requests found no handler from %d ms%n", noticedMs, inFlightFailedMs.get(), plainMs);
            assertTrue(noticedMs < (ClusterBus.MAX_NO_HEARTBEAT_SECONDS + 5) * 1000L, "noticed after " + noticedMs + " ms");
        } finally {
            child.kill();
        }
    }

    /**
     * A minute or more, most of it Hazelcast's own failure detection and merge: tagged slow, run on demand
     * ({@code mvn test -Dsurefire.excludedGroups= -Dgroups=slow}). Baton's side of a paused node (fenced,
     * its runs taken over, rejoined) is web-console's ClusterFencingTest, which runs every time.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void aNodePausedPastTheHeartbeatsIsRemovedAndMergesBackWhenResumed() throws Exception {
        ClusterBus.Settings settings = settings();
        ClusterBus survivor = await(start(settings));
        Child child = Child.start(settings);
        try {
            String member = child.member();
            Await.until("the child to join", WAIT, survivor::memberAddresses, m -> m.contains(member) && m.size() == 2);
            // Paused in the middle of the join's partition migrations, the node would come back with a
            // migration that only Hazelcast's operation timeout (60 s) ends, and merge after it.
            Await.until("the partitions to be migrated", WAIT, () -> survivor.hazelcast().getPartitionService().isClusterSafe());

            // SIGSTOP: its sockets stay open and silent, as with a host that vanished or a long GC pause.
            long t0 = System.nanoTime();
            signal(child.process(), "STOP");
            Await.until("the survivor to remove the paused node", WAIT, survivor::memberAddresses, m -> m.size() == 1);
            long removedMs = ms(t0);

            long t1 = System.nanoTime();
            signal(child.process(), "CONT");
            // Usually 3-20 s; Hazelcast's own operation timeout (60 s) when the pause caught an operation half-way,
            // plus a slow machine's share: the bound is generous, the figure printed below says what it took.
            Await.until("the resumed node to merge back", Duration.ofSeconds(150), survivor::memberAddresses, m -> m.size() == 2);
            long mergedMs = ms(t1);
            String again = Await.untilAnswered("the resumed node to answer again", WAIT, () -> {
                try {
                    return survivor.<JsonObject>request(member, "node." + member, new JsonObject(), new DeliveryOptions().setSendTimeout(2_000))
                            .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body().getString("answeredBy");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, member::equals);
            System.out.printf("[figures] SIGSTOP of a node: removed after %d ms; after SIGCONT, back in the cluster after %d ms and answering after %d ms%n",
                    removedMs, mergedMs, ms(t1));
            assertEquals(member, again);
        } finally {
            child.kill();
        }
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    /** A {@link ClusterBusNode} in a JVM of its own, once it printed its READY line. */
    private record Child(Process process, String[] ready) {
        static Child start(ClusterBus.Settings settings) throws Exception {
            Path log = Path.of("target", "cluster-bus-node-" + System.nanoTime() + ".log");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xshare:auto"));
            // The test JVM's logging settings given with -D (e.g. -Dorg.slf4j.simpleLogger.log.com.hazelcast=info) go to the child too.
            System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("org.slf4j.simpleLogger."))
                    .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), ClusterBusNode.class.getName(),
                    settings.clusterName(), Integer.toString(settings.port())));
            Process process = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line;
            try {
                line = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (IOException e) {
                        return "failed: " + e;
                    }
                }).get(60, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                process.destroyForcibly();
                throw new AssertionError("the child node did not start within 60 s; its log: " + log);
            }
            if (line == null || !line.startsWith("READY ")) {
                process.destroyForcibly();
                throw new AssertionError("the child node's first line: " + line + "; its log: " + log);
            }
            return new Child(process, line.split(" "));
        }

        String member() {
            return ready[1];
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClusterOfAnotherNameOnTheSameHostIsNeverJoined() throws Exception {
        ClusterBus.Settings settingsA = settings();
        ClusterBus.Settings settingsB = new ClusterBus.Settings("other-" + UUID.randomUUID(), settingsA.host(), settingsA.port(),
                settingsA.members(), 1, 0);
        ClusterBus a1 = await(start(settingsA));
        long t0 = System.nanoTime();
        ClusterBus b1 = await(start(settingsB));
        System.out.printf("[figures] a node started beside a member of another cluster on its ports in %d ms%n", ms(t0));
        ClusterBus a2 = await(start(settingsA));
        // a2 started after b1 on the same ports and joined a1: by then b1 had met both and joined neither.
        Await.until("a2 to join a1", WAIT, a1::memberAddresses, m -> m.size() == 2);
        assertEquals(List.of(b1.memberAddress()), b1.memberAddresses());
        assertEquals(2, a2.memberAddresses().size());
        assertTrue(!a1.memberAddresses().contains(b1.memberAddress()));

        await(a1.eventBus().consumer("commands.a", m -> m.reply("from a")).completion());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> b1.eventBus().request("commands.a", "?")
                .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
        assertEquals(ReplyFailure.NO_HANDLERS, assertInstanceOf(ReplyException.class, failed.getCause()).failureType());
    }

    @Test
    void aPlainVertxStaysAloneWithTheClusterManagerOnTheClassPath() throws Exception {
        // vertx-hazelcast registers itself as a Vert.x service: the server's own Vert.x must not join anything.
        Vertx plain = Vertx.vertx();
        try {
            assertTrue(!plain.isClustered());
            assertEquals(Set.of(), Hazelcast.getAllHazelcastInstances());
        } finally {
            await(plain.close());
        }
    }

    @Test
    void memberAddressesExpandToWhatHazelcastTries() {
        assertEquals(IntStream.rangeClosed(5701, 5720).mapToObj(p -> "127.0.0.1:" + p).toList(),
                ClusterBus.Settings.of("c").memberAddresses(), "the default: loopback discovery");
        ClusterBus.Settings settings = ClusterBus.Settings.of("c").withHost("10.0.0.5").withPort(6000)
                .withMembers(List.of(" 10.0.0.6:5801 ", "10.0.0.7:5801-5803", "", "node8", "[fe80::1]:5701"));
        List<String> expected = new ArrayList<>(List.of("10.0.0.6:5801", "10.0.0.7:5801", "10.0.0.7:5802", "10.0.0.7:5803"));
        IntStream.rangeClosed(6000, 6019).forEach(p -> expected.add("node8:" + p));
        expected.add("[fe80::1]:5701");
        assertEquals(expected, settings.memberAddresses());
        assertEquals("10.0.0.5", settings.host());
        assertEquals("127.0.0.1", new ClusterBus.Settings("c", " ", 5701, null, 1, 0).host(), "a blank host is the default");
    }

    @Test
    void badSettingsAreRefusedWithTheReason() {
        for (String member : List.of("host:", "host:x", "host:0", "host:70000", "host:5703-5701", "host:5701-5900", "::1", ":5701", "[::1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ClusterBus.Settings.of("c").withMembers(List.of(member)), member);
            assertTrue(e.getMessage().contains("'" + member + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ClusterBus.Settings.of(" "));
        assertThrows(IllegalArgumentException.class, () -> ClusterBus.Settings.of("c").withPort(0));
        assertThrows(IllegalArgumentException.class, () -> ClusterBus.Settings.of("c").withEventLoops(0));
        assertThrows(IllegalArgumentException.class, () -> ClusterBus.Settings.of("c").withBusPort(-1));
    }

    @Test
    void aHostThatIsNotThisHostsStopsTheStartWithTheReason() throws Exception {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this host.
        ExecutionException failed = assertThrows(ExecutionException.class, () -> await(ClusterBus.start(settings().withHost("192.0.2.1"))));
        String message = failed.getCause().getMessage();
        assertTrue(message.contains("the cluster bus cannot start on 192.0.2.1") && message.contains("is not an address of one of this host's network interfaces"),
                message);
        assertEquals(List.of(), started);
    }

    private Future<ClusterBus> start(ClusterBus.Settings settings) {
        return ClusterBus.start(settings).onSuccess(started::add);
    }

    /** This test's own cluster: a fresh name, and ports nobody on this host listens on. */
    private static ClusterBus.Settings settings() throws IOException {
        return ClusterBus.Settings.of("test-" + UUID.randomUUID()).withPort(freePortRange()).withEventLoops(1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }

    private static int freePortRange() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        for (int attempt = 0; attempt < 50; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
            boolean free = true;
            for (int p = base; free && p < base + ClusterBus.PORT_RANGE; p++) {
                try (ServerSocket probe = new ServerSocket(p, 1, loopback)) {
                    probe.setReuseAddress(true);
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) return base;
        }
        throw new IOException("no " + ClusterBus.PORT_RANGE + " free ports in a row on 127.0.0.1");
    }

    private static <T> T await(Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out after " + WAIT, e);
        }
    }

    /**
     * Waits until a plain {@code eventBus().request} to {@code address} fails with NO_HANDLERS, and
     * returns when that was, in ms since {@code t0}. Vert.x forgets a dead member's subscriptions a
     * little after Hazelcast removed the member; a plain request sent in between goes to the dead
     * member, is lost, and times out (the reason for {@link ClusterBus#request}).
     */
    private static long plainRequestsFindNoHandler(ClusterBus bus, String address, long t0) {
        Await.until("a plain request to " + address + " to find no handler", WAIT, () -> {
            try {
                bus.eventBus().request(address, new JsonObject(), new DeliveryOptions().setSendTimeout(1_000))
                        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
                return "answered";
            } catch (ExecutionException e) {
                return e.getCause() instanceof ReplyException r ? r.failureType() : e.getCause();
            } catch (Exception e) {
                return e;
            }
        }, failure -> failure == ReplyFailure.NO_HANDLERS);
        return ms(t0);
    }

    private static ReplyException failure(Future<?> request) throws Exception {
        ExecutionException failed = assertThrows(ExecutionException.class,
                () -> request.toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS));
        return assertInstanceOf(ReplyException.class, failed.getCause());
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
