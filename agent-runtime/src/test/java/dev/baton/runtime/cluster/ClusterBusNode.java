package dev.baton.runtime.cluster;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * One {@link ClusterBus} node in a process of its own, for {@link ClusterBusTest} to kill with
 * SIGKILL: {@code ClusterBusNode <cluster name> <port>}. It answers requests at
 * {@code node.<its member address>} and prints one line when it is a member:
 * {@code READY <member address> <start ms> <heap before, bytes> <heap after, bytes> <threads added> <member uuid>}
 * (heap used after a GC, before and after the bus started; a member that merges into another
 * cluster later gets a new uuid). It stops when its stdin closes.
 */
public final class ClusterBusNode {
    private ClusterBusNode() {
    }

    public static void main(String[] args) throws Exception {
        ClusterBus.Settings settings = ClusterBus.Settings.of(args[0]).withPort(Integer.parseInt(args[1]));
        long heapBefore = usedHeapAfterGc();
        int threadsBefore = Thread.activeCount();
        long t0 = System.nanoTime();
        ClusterBus bus = ClusterBus.start(settings).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        String me = bus.memberAddress();
        bus.eventBus().<JsonObject>consumer("node." + me, m -> m.reply(new JsonObject().put("answeredBy", me)))
                .completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        long heapAfter = usedHeapAfterGc();
        System.out.println("READY " + me + " " + startMs + " " + heapBefore + " " + heapAfter + " " + (Thread.activeCount() - threadsBefore)
                + " " + bus.hazelcast().getCluster().getLocalMember().getUuid());
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // until the test closes our stdin (or kills us)
            }
        } catch (IOException ignored) {
            // the test went away
        }
        bus.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
