package dev.baton.runtime.cluster;

import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.orchestrator.Orchestrator;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Live events of runs that other nodes own, for the event streams open on this node.
 *
 * <p>While a stream of a run is open here, this node tells the cluster it watches the run (on
 * the clustered event bus, {@value #WATCH_ADDRESS}, again every {@value #ANNOUNCE_MS} ms). The
 * run's owner, whichever node that is now, sends each of the run's durable events to the nodes
 * that watch it, and the relay publishes them on this node's event bus
 * ({@link Orchestrator#EVENTS_ADDRESS}), where the streams hear them, in seq order, after the
 * last one this node's bus carried.
 *
 * <p>The journal is the safety net: a message is lost when its sender dies, so every
 * {@value #POLL_MS} ms (at once on a gap) the relay reads the watched runs' events after the
 * last one it published. Whoever owns the run, and however often it changes hands, the journal
 * holds every event once, and so does the stream. A stream that still sees a gap (the run came
 * to this node mid-stream) ends, and its client resumes with {@code Last-Event-ID}.
 */
public final class EventRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);
    static final String WATCH_ADDRESS = "baton.watch";
    static final long POLL_MS = 1_000;
    static final long ANNOUNCE_MS = 5_000;
    /** A watch not announced again for this long is forgotten (its node died). */
    private static final long WATCH_TTL_MS = 3 * ANNOUNCE_MS;
    /** Marks an event the relay published, so that it is not sent on again. */
    private static final String RELAYED = "baton-relayed";

    private final Vertx vertx;
    private final Journal journal;
    private final EventBus cluster;
    private final Context context;
    private final WorkerExecutor reads;
    /** Where the owners send this node the events of the runs it watches. */
    private final String inbox = "baton.relay." + UUID.randomUUID();
    /** On {@link #context} only: watched runs, with their streams' count and the last seq this node's bus carried. */
    private final Map<String, Watched> watched = new HashMap<>();
    /** Which nodes (their inboxes) watch which runs, until when (epoch millis). */
    private final Map<String, Map<String, Long>> watchers = new ConcurrentHashMap<>();
    private boolean polling;
    private boolean pollAgain;
    private final long poller;
    private final long announcer;

    private static final class Watched {
        int streams;
        long lastSeq;
    }

    /** @param cluster the clustered event bus */
    public EventRelay(Vertx vertx, Journal journal, EventBus cluster) {
        this.vertx = vertx;
        this.journal = journal;
        this.cluster = cluster;
        this.context = vertx.getOrCreateContext();
        this.reads = vertx.createSharedWorkerExecutor("baton-event-relay", 1);
        context.runOnContext(v -> vertx.eventBus().<RunEvent>localConsumer(Orchestrator.EVENTS_ADDRESS, this::heard));
        cluster.<JsonObject>consumer(WATCH_ADDRESS, message -> watchAnnounced(message.body()));
        cluster.<JsonObject>consumer(inbox, message -> {
            RunEvent event = decode(message.body());
            context.runOnContext(v -> pushed(event));
        });
        this.poller = vertx.setPeriodic(POLL_MS, id -> context.runOnContext(v -> poll()));
        this.announcer = vertx.setPeriodic(ANNOUNCE_MS, id -> context.runOnContext(v -> announceAll()));
    }

    /**
     * A stream of the run opened on this node and has read the journal up to {@code readUpTo}: the
     * relay publishes the run's events after that (or after what it already published, for the
     * streams that came before).
     */
    public void watch(String runId, long readUpTo) {
        context.runOnContext(v -> {
            Watched w = watched.get(runId);
            if (w == null) {
                w = new Watched();
                w.lastSeq = readUpTo;
                watched.put(runId, w);
                announce(List.of(runId), true);
            }
            w.streams++;
        });
    }

    /** A stream of the run closed. */
    public void unwatch(String runId) {
        context.runOnContext(v -> {
            Watched w = watched.get(runId);
            if (w != null && --w.streams <= 0) {
                watched.remove(runId);
                announce(List.of(runId), false);
            }
        });
    }

    // ------------------------------------------------------------------ the owner's side

    /** An event on this node's bus: one this node made durable is sent to the nodes that watch its run. */
    private void heard(Message<RunEvent> message) {
        RunEvent event = message.body();
        Watched w = watched.get(event.runId());
        if (w != null && event.seq() > w.lastSeq) w.lastSeq = event.seq();
        if (message.headers().contains(RELAYED)) return;
        Map<String, Long> nodes = watchers.get(event.runId());
        if (nodes == null || nodes.isEmpty()) return;
        long now = System.currentTimeMillis();
        JsonObject json = null;
        for (Map.Entry<String, Long> node : nodes.entrySet()) {
            if (node.getKey().equals(inbox)) continue;
            if (node.getValue() < now) {
                nodes.remove(node.getKey(), node.getValue());
                continue;
            }
            if (json == null) json = encode(event);
            cluster.send(node.getKey(), json);
        }
    }

    private void announce(List<String> runIds, boolean on) {
        if (runIds.isEmpty()) return;
        cluster.publish(WATCH_ADDRESS, new JsonObject().put("inbox", inbox).put("on", on).put("runs", new JsonArray(runIds)));
    }

    private void announceAll() {
        announce(List.copyOf(watched.keySet()), true);
    }

    private void watchAnnounced(JsonObject watch) {
        String node = watch.getString("inbox");
        boolean on = watch.getBoolean("on", false);
        long until = System.currentTimeMillis() + WATCH_TTL_MS;
        for (Object run : watch.getJsonArray("runs", new JsonArray())) {
            String runId = String.valueOf(run);
            if (on) {
                watchers.computeIfAbsent(runId, id -> new ConcurrentHashMap<>()).put(node, until);
            } else {
                watchers.computeIfPresent(runId, (id, nodes) -> {
                    nodes.remove(node);
                    return nodes.isEmpty() ? null : nodes;
                });
            }
        }
    }

    // ------------------------------------------------------------------ the watcher's side

    /** An event its owner sent: published here if it is the next one, else the journal fills the gap. */
    private void pushed(RunEvent event) {
        Watched w = watched.get(event.runId());
        if (w == null || event.seq() <= w.lastSeq) return;
        if (event.seq() == w.lastSeq + 1) {
            publish(w, event);
        } else {
            poll(); // a gap: some events went to another node, or their messages were lost
        }
    }

    private void publish(Watched w, RunEvent event) {
        w.lastSeq = event.seq();
        vertx.eventBus().publish(Orchestrator.EVENTS_ADDRESS, event, new DeliveryOptions().setLocalOnly(true).addHeader(RELAYED, "1"));
    }

    private void poll() {
        if (watched.isEmpty()) return;
        if (polling) {
            pollAgain = true;
            return;
        }
        polling = true;
        Map<String, Long> after = new HashMap<>();
        watched.forEach((runId, w) -> after.put(runId, w.lastSeq));
        reads.<Map<String, List<RunEvent>>>executeBlocking(() -> {
            Map<String, List<RunEvent>> found = new HashMap<>();
            after.forEach((runId, seq) -> found.put(runId, journal.events(runId, seq)));
            return found;
        }, false).onComplete(done -> context.runOnContext(v -> {
            polling = false;
            if (done.failed()) {
                LOG.debug("the event relay could not read the journal: {}", done.cause().toString());
            } else {
                done.result().forEach((runId, events) -> {
                    Watched w = watched.get(runId);
                    if (w == null) return;
                    for (RunEvent event : events) if (event.seq() == w.lastSeq + 1) publish(w, event);
                });
            }
            if (pollAgain) {
                pollAgain = false;
                poll();
            }
        }));
    }

    private static JsonObject encode(RunEvent event) {
        return new JsonObject().put("runId", event.runId()).put("seq", event.seq()).put("type", event.type())
                .put("at", event.at().toEpochMilli()).put("data", EventCodec.dataToJson(event.data()));
    }

    private static RunEvent decode(JsonObject json) {
        return EventCodec.fromStored(json.getString("runId"), json.getLong("seq"), json.getString("type"),
                Instant.ofEpochMilli(json.getLong("at")), json.getString("data"));
    }

    @Override
    public void close() {
        vertx.cancelTimer(poller);
        vertx.cancelTimer(announcer);
        reads.close();
    }
}
