package dev.baton.runtime.cluster;

import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.orchestrator.Orchestrator;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Live events of runs that other nodes own, for the event streams open on this node. A stream's
 * run is watched while the stream is open: the relay reads the run's new durable events from the
 * journal every {@value #POLL_MS} ms and publishes them on this node's event bus
 * ({@link Orchestrator#EVENTS_ADDRESS}), in seq order, after the last one this node's bus carried
 * (its own, when this node owns the run, or the relay's). Whoever owns the run, and however
 * often it changes hands, the journal holds every event once: so does the stream. A stream that
 * still sees a gap (the run came to this node mid-stream) ends, and its client resumes with
 * {@code Last-Event-ID}.
 */
public final class EventRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventRelay.class);
    static final long POLL_MS = 200;

    private final Vertx vertx;
    private final Journal journal;
    private final Context context;
    private final WorkerExecutor reads;
    /** On {@link #context} only: watched runs, with their streams' count and the last seq this node's bus carried. */
    private final Map<String, Watched> watched = new HashMap<>();
    private boolean polling;
    private final long poller;

    private static final class Watched {
        int streams;
        long lastSeq;
    }

    public EventRelay(Vertx vertx, Journal journal) {
        this.vertx = vertx;
        this.journal = journal;
        this.context = vertx.getOrCreateContext();
        this.reads = vertx.createSharedWorkerExecutor("baton-event-relay", 1);
        context.runOnContext(v -> vertx.eventBus().<RunEvent>localConsumer(Orchestrator.EVENTS_ADDRESS, message -> {
            Watched w = watched.get(message.body().runId());
            if (w != null && message.body().seq() > w.lastSeq) w.lastSeq = message.body().seq();
        }));
        this.poller = vertx.setPeriodic(POLL_MS, id -> context.runOnContext(v -> poll()));
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
            }
            w.streams++;
        });
    }

    /** A stream of the run closed. */
    public void unwatch(String runId) {
        context.runOnContext(v -> {
            Watched w = watched.get(runId);
            if (w != null && --w.streams <= 0) watched.remove(runId);
        });
    }

    private void poll() {
        if (polling || watched.isEmpty()) return;
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
                return;
            }
            done.result().forEach((runId, events) -> {
                Watched w = watched.get(runId);
                if (w == null || events.isEmpty()) return;
                for (RunEvent event : events) {
                    if (event.seq() <= w.lastSeq) continue;
                    w.lastSeq = event.seq();
                    vertx.eventBus().publish(Orchestrator.EVENTS_ADDRESS, event);
                }
            });
        }));
    }

    @Override
    public void close() {
        vertx.cancelTimer(poller);
        reads.close();
    }
}
