package dev.baton.runtime.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.journal.JdbcJournal;
import dev.baton.runtime.journal.JournalException;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunCommand;
import dev.baton.runtime.orchestrator.RunPlacement;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This server as a node of a cluster: several servers on one PostgreSQL journal. PostgreSQL alone
 * decides who owns what ({@link NodeLease}, {@link RunClaims}); the clustered event bus carries
 * commands to the owner of their run and live events to the nodes that stream them.
 *
 * <p>Every lease/5 the node renews its lease, marks DEAD the nodes whose lease lapsed, and claims
 * its share of the runs nobody live owns, which the orchestrator replays and carries on exactly as
 * after a restart ({@link Orchestrator#adopt}). A node that finds its lease lost (its renewal or a
 * journal write is refused) drops its runs, waits for the writes it had queued to be refused,
 * and rejoins with a new epoch; meanwhile it answers 503.
 */
public final class ClusterNode implements RunPlacement, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    /**
     * How long a forwarded command may take on its owner (it answers once the command is durable,
     * in milliseconds). A message to a node that died is dropped without a word, so this is also
     * how long a command waits before it looks for the run's owner again.
     */
    private static final long FORWARD_TIMEOUT_MS = 3_000;

    private final Vertx vertx;
    private final ClusterBus cluster;
    private final EventBus bus;
    private final String memberAddress;
    private final JdbcJournal journal;
    private final NodeLease lease;
    private final RunClaims claims;
    /** One thread for the takeovers and the status: they never wait behind the journal's readers. */
    private final WorkerExecutor db;
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final AtomicBoolean renewing = new AtomicBoolean();
    /** The lease's own thread. */
    private final WorkerExecutor leaseDb;
    private final AtomicBoolean rejoining = new AtomicBoolean();
    private volatile Orchestrator orchestrator;
    private volatile boolean writable;
    private volatile boolean closed;
    private volatile int liveNodes = 1;
    private volatile MessageConsumer<JsonObject> commands;
    private volatile long ticker = -1;
    /** Whether this node has taken the runs nobody owns (from before the cluster); on the takeover thread. */
    private boolean unownedClaimed;
    private long ticks;

    private ClusterNode(Vertx vertx, ClusterBus cluster, JdbcJournal journal, NodeLease lease) {
        this.vertx = vertx;
        this.cluster = cluster;
        this.bus = cluster.eventBus();
        this.memberAddress = cluster.memberAddress();
        this.journal = journal;
        this.lease = lease;
        this.claims = new RunClaims(journal.dataSource(), lease);
        this.db = vertx.createSharedWorkerExecutor("baton-cluster", 1);
        this.leaseDb = vertx.createSharedWorkerExecutor("baton-cluster-lease", 1);
    }

    /**
     * Joins the cluster of {@code journal}'s database (blocking): registers this node with a new
     * epoch and fences the journal with its lease. Start the orchestrator next, with this node as
     * its {@link RunPlacement}, then {@link #start} this node.
     *
     * @param cluster the clustered event bus, already a member
     */
    public static ClusterNode join(Vertx vertx, JdbcJournal journal, ClusterBus cluster, String nodeId, Duration lease) {
        NodeLease nodeLease = new NodeLease(journal.dataSource(), nodeId, lease);
        nodeLease.join(cluster.memberAddress());
        ClusterNode node = new ClusterNode(vertx, cluster, journal, nodeLease);
        nodeLease.onFenced(epoch -> vertx.runOnContext(v -> node.lost(epoch, "the journal refused a write")));
        journal.fenceWith(nodeLease);
        node.writable = true;
        // Renewing from now on: the orchestrator's start may take longer than a lease on a busy machine.
        long every = Math.max(200, lease.toMillis() / 5);
        node.ticker = vertx.setPeriodic(every, id -> node.tick());
        LOG.info("joined the cluster as node {} with epoch {} (lease {} ms)", nodeId, nodeLease.epoch(), lease.toMillis());
        return node;
    }

    /** Where the live nodes' cluster members are (host:port), as they registered; for joining the event bus. */
    public static List<String> liveAddresses(javax.sql.DataSource db) {
        List<String> addresses = new java.util.ArrayList<>();
        try (java.sql.Connection c = db.getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT address FROM baton_nodes WHERE state = 'ALIVE' AND address IS NOT NULL"
                     + " AND lease_until_ms >= " + NodeLease.NOW_MS);
             java.sql.ResultSet rs = ps.executeQuery()) {
            while (rs.next()) addresses.add(rs.getString(1));
        } catch (SQLException e) {
            throw new JournalException("cannot read the cluster's nodes: " + e.getMessage(), e);
        }
        return addresses;
    }

    /** Takes commands for this node's runs, and starts renewing the lease and taking over orphaned runs (at once, then every lease/5). */
    public Future<Void> start(Orchestrator orchestrator) {
        this.orchestrator = orchestrator;
        return listen().onSuccess(v -> tick());
    }

    // ------------------------------------------------------------------ RunPlacement

    @Override
    public Place locate(String runId) {
        try {
            return claims.locate(runId);
        } catch (SQLException e) {
            throw new JournalException("cannot find the owner of run '" + runId + "': " + e.getMessage(), e, true);
        }
    }

    @Override
    public boolean takeOver(String runId) {
        try {
            claims.markLapsed();
            boolean taken = claims.claimOne(runId);
            if (taken) LOG.info("took over run {} for a command (its owner is gone)", runId);
            return taken;
        } catch (SQLException e) {
            throw new JournalException("cannot take over run '" + runId + "': " + e.getMessage(), e, true);
        }
    }

    @Override
    public Future<ObjectNode> forward(Place.Elsewhere owner, RunCommand command) {
        Context caller = vertx.getOrCreateContext();
        Promise<ObjectNode> answer = Promise.promise();
        JsonObject body = new JsonObject(Json.write(Json.MAPPER.valueToTree(command)));
        // Through ClusterBus.request: a message to a member that died fails once the cluster drops it, not after the timeout.
        cluster.<JsonObject>request(owner.address(), commandAddress(owner.epoch()), body, new DeliveryOptions().setSendTimeout(FORWARD_TIMEOUT_MS))
                .onComplete(reply -> caller.runOnContext(v -> {
                    if (reply.succeeded()) {
                        try {
                            answer.complete((ObjectNode) Json.MAPPER.readTree(reply.result().body().encode()));
                        } catch (Exception e) {
                            answer.fail(e);
                        }
                    } else {
                        answer.fail(refusal(reply.cause()));
                    }
                }));
        return answer.future();
    }

    @Override
    public boolean writable() {
        return writable && !closed;
    }

    @Override
    public Duration patience() {
        // Long enough for a dead owner's lease to lapse, a takeover round to notice, and one more try.
        return lease.lease().multipliedBy(2).plusMillis(FORWARD_TIMEOUT_MS).plusSeconds(2);
    }

    // ------------------------------------------------------------------ what the server shows

    /** Whether this node holds its lease (else it is rejoining and answers 503). */
    public boolean healthy() {
        return writable();
    }

    /** Live nodes, as last counted. */
    public int liveNodes() {
        return liveNodes;
    }

    public long epoch() {
        return lease.epoch();
    }

    public String nodeId() {
        return lease.nodeId();
    }

    /** {@code GET /api/cluster}: this node and the live ones, with the unfinished runs each owns. */
    public Future<JsonObject> status() {
        return db.executeBlocking(() -> {
            List<RunClaims.Node> nodes = claims.nodes();
            liveNodes = nodes.size();
            JsonArray list = new JsonArray();
            for (RunClaims.Node n : nodes) {
                list.add(new JsonObject().put("id", n.nodeId()).put("epoch", n.epoch()).put("address", n.address())
                        .put("startedAt", n.startedAt().toString()).put("leaseUntil", n.leaseUntil().toString())
                        .put("runs", n.runs()).put("self", n.epoch() == lease.epoch()));
            }
            return new JsonObject()
                    .put("node", new JsonObject().put("id", lease.nodeId()).put("epoch", lease.epoch())
                            .put("startedAt", lease.startedAt() == null ? null : lease.startedAt().toString())
                            .put("address", memberAddress).put("leaseHeld", writable()))
                    .put("nodes", list);
        }, false);
    }

    // ------------------------------------------------------------------ the lease, takeovers

    private void tick() {
        renew();
        takeOver();
    }

    /** Renews the lease, on a thread of its own: nothing else (a long takeover, a slow query) may hold it up. */
    private void renew() {
        if (closed || !writable || !renewing.compareAndSet(false, true)) return;
        leaseDb.<Boolean>executeBlocking(lease::renew, false).onComplete(renewed -> {
            renewing.set(false);
            if (renewed.succeeded() && !renewed.result()) lost(lease.epoch(), "its lease lapsed before it could renew it");
            else if (renewed.failed() && !closed) LOG.warn("the cluster lease could not be renewed: {}", renewed.cause().toString());
        });
    }

    /** Marks lapsed nodes DEAD and takes this node's share of the runs nobody live owns. */
    private void takeOver() {
        if (closed || !writable || !ticking.compareAndSet(false, true)) return;
        db.<List<String>>executeBlocking(() -> {
            for (RunClaims.Lapsed dead : claims.markLapsed()) {
                LOG.warn("node {} (epoch {}) lost its lease: its runs are taken over", dead.nodeId(), dead.epoch());
            }
            if (orchestrator == null) return List.of(); // joined, not started yet: the lease only
            if (++ticks % 3_000 == 1) claims.prune();
            List<String> claimed = new java.util.ArrayList<>();
            if (!unownedClaimed) {
                // Runs of a journal from before the cluster (no owner): whoever looks first takes them, once.
                claimed.addAll(claims.claimUnowned(Integer.MAX_VALUE));
                unownedClaimed = true;
            }
            RunClaims.Census census = claims.census();
            liveNodes = Math.max(1, census.nodes());
            if (census.orphans() > 0) claimed.addAll(claims.claimOrphans(census.share()));
            return claimed;
        }, false).compose(claimed -> {
            if (claimed.isEmpty()) return Future.succeededFuture(0);
            long began = System.nanoTime();
            // Worded as a restart's recovery, which it is for these runs (tools that read the log look for this line).
            return orchestrator.adopt(claimed).onSuccess(n -> LOG.info("recovered {} unfinished runs from the journal in {} ms,"
                    + " taken over from nodes that stopped or lost their lease", n, (System.nanoTime() - began) / 1_000_000));
        }).onComplete(done -> {
            ticking.set(false);
            if (done.failed() && !closed) LOG.warn("the cluster's takeover round failed: {}", done.cause().toString());
        });
    }

    /**
     * This node's lease is gone (epoch {@code epoch}'s): it drops its runs, lets the writes it had
     * queued be refused, and rejoins with a new epoch. Once per lost epoch.
     */
    private void lost(long epoch, String why) {
        if (closed || epoch != lease.epoch() || !rejoining.compareAndSet(false, true)) return;
        writable = false;
        LOG.error("this node ({}, epoch {}) lost its cluster lease ({}): it writes nothing more, drops its runs (the other nodes"
                + " take them over), answers 503 and rejoins with a new epoch", lease.nodeId(), epoch, why);
        MessageConsumer<JsonObject> old = commands;
        Future<Void> unlistened = old == null ? Future.succeededFuture() : old.unregister();
        unlistened.recover(e -> Future.succeededFuture())
                .compose(v -> orchestrator == null ? Future.succeededFuture() : orchestrator.dropAll("this node lost its cluster lease"))
                // Every append queued before this one is refused (the old epoch is fenced) before the new epoch can write.
                .compose(v -> Future.fromCompletionStage(journal.append(List.of())).recover(e -> Future.succeededFuture()))
                .compose(v -> db.executeBlocking(() -> lease.join(memberAddress), false))
                .compose(newEpoch -> listen().map(newEpoch))
                .onComplete(rejoined -> {
                    rejoining.set(false);
                    if (rejoined.succeeded()) {
                        writable = true;
                        LOG.info("rejoined the cluster as node {} with epoch {}", lease.nodeId(), rejoined.result());
                        tick();
                    } else if (!closed) {
                        LOG.error("could not rejoin the cluster: {}; trying again", rejoined.cause().toString());
                        vertx.setTimer(1_000, t -> lost(lease.epoch(), "rejoining failed"));
                    }
                });
    }

    // ------------------------------------------------------------------ forwarded commands

    static String commandAddress(long epoch) {
        return "baton.node." + epoch + ".commands";
    }

    private Future<Void> listen() {
        MessageConsumer<JsonObject> consumer = bus.consumer(commandAddress(lease.epoch()), this::take);
        commands = consumer;
        return consumer.completion();
    }

    private void take(Message<JsonObject> message) {
        RunCommand command;
        try {
            command = Json.MAPPER.readValue(message.body().encode(), RunCommand.class);
        } catch (Exception e) {
            message.fail(500, failure(Kind.INVALID, "bad_command", "not a run command: " + e.getMessage(), null));
            return;
        }
        orchestrator.takeForwarded(command).onComplete(done -> {
            if (done.succeeded()) {
                message.reply(new JsonObject(Json.write(done.result())));
            } else if (done.cause() instanceof BatonException b) {
                message.fail(500, failure(b.kind(), b.code(), b.getMessage(), b.details()));
            } else {
                message.fail(500, failure(Kind.UNAVAILABLE, "owner_failed", String.valueOf(done.cause().getMessage()), null));
            }
        });
    }

    private static String failure(Kind kind, String code, String message, JsonNode details) {
        ObjectNode json = Json.MAPPER.createObjectNode().put("kind", kind.name()).put("code", code).put("message", message);
        if (details != null) json.set("details", details);
        return Json.write(json);
    }

    /** The owner's refusal as the owner said it; a failure to reach it as it is (the caller looks for the owner again). */
    private static Throwable refusal(Throwable error) {
        if (error instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
            try {
                JsonNode json = Json.MAPPER.readTree(reply.getMessage());
                return new BatonException(Kind.valueOf(json.path("kind").asText()), json.path("code").asText(),
                        json.path("message").asText(), json.get("details"));
            } catch (Exception notOurs) {
                return error;
            }
        }
        return error;
    }

    /** Stops renewing and marks this node LEFT, so that the others take its runs over at once. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (ticker >= 0) vertx.cancelTimer(ticker);
        MessageConsumer<JsonObject> consumer = commands;
        if (consumer != null) consumer.unregister();
        try {
            if (writable) lease.leave();
        } catch (RuntimeException e) {
            LOG.warn("could not mark this node as left: {}; its runs are taken over once its lease lapses", e.toString());
        }
        db.close();
        leaseDb.close();
    }
}
