package dev.baton.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.cluster.EventRelay;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.json.Json;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Server-sent events: a run's events from the journal, then live ones until the run ends; or
 * every run's live events.
 *
 * <p>One event-bus consumer per server hears every event and hands it to the streams of its
 * run and to the all-runs streams only, so an event costs in proportion to the streams that
 * show it, not to every stream open (with one consumer per stream, 2,000 streams of other runs
 * made every run's events, and so every {@code POST /api/runs}, pay for 2,000 deliveries). Each
 * event is written as JSON once (twice when viewers, who see credentials masked, listen too);
 * the streams on one event loop get it in one task, together with the events that came while that
 * task waited, and each writes them in one write. Each stream's own state is touched on its
 * connection's event loop only, in the order the bus delivered, which is seq order.
 *
 * <p>To lose nothing between the replay and the live feed, a run's stream is registered first,
 * holds the live events, reads the journal, and then drops the held events it already sent.
 * Events reach the bus only once they are durable, so whatever was published before the stream
 * was registered is in the journal read. A client that cannot keep up with live events is
 * disconnected and resumes with {@code Last-Event-ID}: the journal, not the bus, is what makes
 * the stream complete. Nothing is buffered without bound: a live stream is cut once
 * 256 KB wait for its socket, the replay waits for the client to read
 * instead, and the live events held meanwhile are capped.
 *
 * <p>Each client (its bearer token; without tokens, its IP address) may hold
 * {@link Config.StreamLimits#perClient()} streams, and the server {@link Config.StreamLimits#total()}:
 * one more is refused with 429 and {@code Retry-After}.
 */
final class EventStream {
    private static final long HEARTBEAT_MS = 15_000;
    /** What a refused client is told to wait: streams free up when their clients leave, which nobody can predict. */
    static final int RETRY_AFTER_SECONDS = 5;
    /** Live events (in bytes of their frames) a run's stream may hold while its replay waits for a slow client. */
    private static final long MAX_HELD_BYTES = 8L * 1024 * 1024;
    /**
     * Bytes written to a stream that have not reached its socket yet, past which a live stream
     * is cut and a replay waits. Counted here, from each write's completion, rather than left to
     * the connection's write queue, which counts writes, not bytes: a few large writes (a run's
     * events joined) would otherwise pile up megabytes for a client that does not read.
     */
    private static final long MAX_UNSENT_BYTES = 256 * 1024;
    private static final Set<String> FINISHED = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATION_FAILED");

    private final Vertx vertx;
    private final Orchestrator orchestrator;
    private final StreamQuota quota;
    /** The streams of each run that has any. */
    private final Map<String, Set<Subscriber>> byRun = new ConcurrentHashMap<>();
    /** The {@code /api/events} streams. */
    private final Set<Subscriber> allRuns = ConcurrentHashMap.newKeySet();
    /** Per event loop, the deliveries its streams have not been handed yet. */
    private final Map<Context, Outbox> outboxes = new ConcurrentHashMap<>();
    /** Completes once the one consumer hears the bus. */
    private final Future<Void> listening;

    /** On a node of a cluster, brings the events of runs other nodes own; null on a single node. */
    private final EventRelay relay;

    EventStream(Vertx vertx, Orchestrator orchestrator, StreamQuota quota, EventRelay relay) {
        this.relay = relay;
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.quota = quota;
        this.listening = vertx.eventBus().<RunEvent>consumer(Orchestrator.EVENTS_ADDRESS, message -> fanOut(message.body())).completion();
        vertx.eventBus().<io.vertx.core.json.JsonObject>localConsumer(Orchestrator.ANSWER_DELTAS_ADDRESS, message -> fanOutDelta(message.body()));
    }

    // ------------------------------------------------------------------ answer deltas: news, not events

    /**
     * A piece of a run's answer as a model streams it, to the streams of its run and the all-runs
     * ones: an SSE message {@code event: AnswerDelta} with no {@code id} (it is not journaled and has
     * no seq, so a client's Last-Event-ID is left alone). A stream that is still replaying, or
     * behind, misses it: the AnswerWritten that follows holds the whole answer.
     */
    private void fanOutDelta(io.vertx.core.json.JsonObject delta) {
        String runId = delta.getString("runId");
        Set<Subscriber> ofRun = runId == null ? null : byRun.get(runId);
        if ((ofRun == null || ofRun.isEmpty()) && allRuns.isEmpty()) return;
        ObjectNode json = Json.object();
        json.put("runId", runId);
        json.put("type", "AnswerDelta");
        json.putNull("taskId");
        json.put("at", delta.getString("at"));
        json.putObject("data").put("index", delta.getInteger("index", 0)).put("text", delta.getString("text", ""));
        Buffer plain = Buffer.buffer("event: AnswerDelta\ndata: " + json + "\n\n");
        Buffer[] masked = new Buffer[1];
        java.util.function.Function<Subscriber, Buffer> frameFor = s -> {
            if (!s.masked) return plain;
            synchronized (masked) {
                if (masked[0] == null) {
                    ObjectNode copy = json.deepCopy();
                    Redaction.maskInPlace(copy);
                    masked[0] = Buffer.buffer("event: AnswerDelta\ndata: " + copy + "\n\n");
                }
                return masked[0];
            }
        };
        if (ofRun != null) for (Subscriber s : ofRun) s.onContext(() -> s.sendTransient(frameFor.apply(s)));
        for (Subscriber s : allRuns) s.onContext(() -> s.sendTransient(frameFor.apply(s)));
    }

    /** {@code GET /api/runs/{id}/events}. */
    void run(RoutingContext ctx) {
        String runId = ctx.pathParam("id");
        long after = lastEventId(ctx);
        Subscriber stream = admit(ctx, runId);
        if (stream == null) return;
        stream.lastSent = after;
        byRun.compute(runId, (id, set) -> {
            Set<Subscriber> streams = set == null ? ConcurrentHashMap.newKeySet() : set;
            streams.add(stream);
            return streams;
        });
        // Registered before the journal is read: an event published from now on is held, any earlier one is in the read.
        listening.compose(v -> orchestrator.events(runId, after))
                .onComplete(result -> {
                    if (relay != null && result.succeeded() && stream.watching.compareAndSet(false, true)) {
                        List<RunEvent> read = result.result();
                        relay.watch(runId, read.isEmpty() ? after : read.get(read.size() - 1).seq());
                    }
                    stream.onContext(() -> stream.replay(result, after));
                });
    }

    /** {@code GET /api/events}: every run's events, live only. */
    void all(RoutingContext ctx) {
        Subscriber stream = admit(ctx, null);
        if (stream == null) return;
        listening.onComplete(v -> stream.onContext(() -> {
            if (stream.done) return;
            stream.open();
            stream.replaying = false;
            allRuns.add(stream);
        }));
    }

    /** Takes a place for the caller's stream, or answers 429 and returns null. */
    private Subscriber admit(RoutingContext ctx, String runId) {
        Caller caller = Auth.caller(ctx);
        boolean byAddress = caller == null || caller == Caller.LOCAL;
        String client = byAddress ? "address " + address(ctx.request().remoteAddress()) : "token " + caller.name();
        StreamQuota.Scope refused = quota.acquire(client);
        if (refused != null) {
            int limit = refused == StreamQuota.Scope.CLIENT ? quota.limits().perClient() : quota.limits().total();
            String message = refused == StreamQuota.Scope.CLIENT
                    ? (byAddress ? "this address" : "'" + caller.name() + "'") + " already holds " + limit
                            + " event streams, the most one client may (BATON_MAX_EVENT_STREAMS_PER_CLIENT); close one first,"
                            + " or follow many runs on one GET /api/events"
                    : "the server already serves " + limit + " event streams, the most it holds at once (BATON_MAX_EVENT_STREAMS);"
                            + " try again later";
            ObjectNode details = Json.object().put("scope", refused.label()).put("limit", limit);
            ctx.response().putHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
            ApiError.send(ctx, new ApiError(429, "too_many_streams", message, details));
            return null;
        }
        Subscriber stream = new Subscriber(ctx, runId, client, Redaction.masks(caller));
        HttpServerResponse response = ctx.response();
        // From now on, however the stream ends (the client leaves, the run ends, the server cuts it), its place is given back.
        response.closeHandler(v -> stream.release());
        response.endHandler(v -> stream.release());
        response.exceptionHandler(e -> stream.release());
        return stream;
    }

    private static String address(SocketAddress address) {
        if (address == null) return "unknown";
        return address.hostAddress() != null ? address.hostAddress() : String.valueOf(address.host());
    }

    // ------------------------------------------------------------------ fan-out, on the consumer's context

    /** One event to the streams that show it: those of its run and the all-runs ones. */
    private void fanOut(RunEvent event) {
        Set<Subscriber> ofRun = byRun.get(event.runId());
        if ((ofRun == null || ofRun.isEmpty()) && allRuns.isEmpty()) return;
        Frames frames = new Frames(event);
        List<Delivery> deliveries = new ArrayList<>(2);
        if (ofRun != null) for (Subscriber s : ofRun) add(deliveries, s, event, frames);
        for (Subscriber s : allRuns) add(deliveries, s, event, frames);
        for (Delivery delivery : deliveries) outboxes.computeIfAbsent(delivery.context(), Outbox::new).add(delivery);
    }

    private static void add(List<Delivery> deliveries, Subscriber stream, RunEvent event, Frames frames) {
        Buffer frame = frames.get(stream.masked);
        for (Delivery delivery : deliveries) {
            if (delivery.context() == stream.context) {
                delivery.streams().add(stream);
                delivery.frames().add(frame);
                return;
            }
        }
        Delivery delivery = new Delivery(stream.context, event, new ArrayList<>(), new ArrayList<>());
        delivery.streams().add(stream);
        delivery.frames().add(frame);
        deliveries.add(delivery);
    }

    /** One event for the streams of one event loop, each with its frame. */
    private record Delivery(Context context, RunEvent event, List<Subscriber> streams, List<Buffer> frames) {
    }

    /**
     * The deliveries waiting for one event loop: handed to its streams in one task however many
     * events came meanwhile, and each stream writes what it got at once. The busier the server,
     * the more events share a task and a write.
     */
    private static final class Outbox {
        private final Context context;
        private final List<Delivery> queue = new ArrayList<>();
        private boolean scheduled;

        Outbox(Context context) {
            this.context = context;
        }

        void add(Delivery delivery) {
            boolean schedule;
            synchronized (this) {
                queue.add(delivery);
                schedule = !scheduled;
                scheduled = true;
            }
            if (schedule) context.runOnContext(v -> drain());
        }

        /** On the event loop: each stream gets its events, in order. */
        private void drain() {
            List<Delivery> batch;
            synchronized (this) {
                batch = new ArrayList<>(queue);
                queue.clear();
                scheduled = false;
            }
            Map<Subscriber, Mail> mail = new LinkedHashMap<>();
            for (Delivery delivery : batch) {
                for (int i = 0; i < delivery.streams().size(); i++) {
                    mail.computeIfAbsent(delivery.streams().get(i), s -> new Mail()).add(delivery.event(), delivery.frames().get(i));
                }
            }
            // The streams that got the very same frames (every /api/events stream, every stream of a run) share one joined buffer.
            Map<SameFrames, Buffer> joined = new HashMap<>();
            mail.forEach((stream, m) -> stream.deliver(m.events, m.frames,
                    m.frames.size() == 1 ? m.frames.get(0) : joined.computeIfAbsent(new SameFrames(m.frames), k -> join(k.frames()))));
        }
    }

    /** What one stream gets from one drain. */
    private static final class Mail {
        final List<RunEvent> events = new ArrayList<>(4);
        final List<Buffer> frames = new ArrayList<>(4);

        void add(RunEvent event, Buffer frame) {
            events.add(event);
            frames.add(frame);
        }
    }

    /** Frames compared by identity: the same buffers in the same order. */
    private record SameFrames(List<Buffer> frames) {
        @Override
        public boolean equals(Object other) {
            if (!(other instanceof SameFrames same) || same.frames.size() != frames.size()) return false;
            for (int i = 0; i < frames.size(); i++) if (frames.get(i) != same.frames.get(i)) return false;
            return true;
        }

        @Override
        public int hashCode() {
            int hash = 1;
            for (Buffer frame : frames) hash = 31 * hash + System.identityHashCode(frame);
            return hash;
        }
    }

    private static Buffer join(List<Buffer> frames) {
        int length = 0;
        for (Buffer frame : frames) length += frame.length();
        Buffer out = Buffer.buffer(length);
        for (Buffer frame : frames) out.appendBuffer(frame);
        return out;
    }

    /**
     * An event's SSE frame, made once for those who see everything and once, masked, for viewers;
     * one buffer written to every stream (each write takes a slice of it: no copy, no re-encoding).
     */
    private static final class Frames {
        private final RunEvent event;
        private Buffer plain;
        private Buffer masked;

        Frames(RunEvent event) {
            this.event = event;
        }

        Buffer get(boolean forViewer) {
            if (forViewer) return masked != null ? masked : (masked = frame(event, true));
            return plain != null ? plain : (plain = frame(event, false));
        }
    }

    static Buffer frame(RunEvent event, boolean masked) {
        ObjectNode json = EventCodec.toApiJson(event);
        if (masked) Redaction.maskInPlace(json);
        return Buffer.buffer("id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + json + "\n\n");
    }

    // ------------------------------------------------------------------ one stream, on its connection's context

    private record Held(RunEvent event, Buffer frame) {
    }

    private final class Subscriber {
        final RoutingContext ctx;
        final HttpServerResponse response;
        final Context context;
        /** Null for the all-runs stream. */
        final String runId;
        final String client;
        final boolean masked;
        private final AtomicBoolean released = new AtomicBoolean();
        /** Whether the {@link EventRelay} watches the run for this stream. */
        final AtomicBoolean watching = new AtomicBoolean();
        // the rest only on this stream's context
        boolean done;
        boolean replaying = true;
        long lastSent;
        long heartbeat = -1;
        /** Replayed events not yet written (the client is slow), then the live events held meanwhile. */
        private final ArrayDeque<Held> pending = new ArrayDeque<>();
        private long heldBytes;
        /** Bytes written and not yet on the socket; what to do once they are fewer (the replay waits so). */
        private long unsent;
        private Runnable whenSent;
        private boolean ended;

        Subscriber(RoutingContext ctx, String runId, String client, boolean masked) {
            this.ctx = ctx;
            this.response = ctx.response();
            this.context = Vertx.currentContext() != null ? root(Vertx.currentContext()) : vertx.getOrCreateContext();
            this.runId = runId;
            this.client = client;
            this.masked = masked;
        }

        void onContext(Runnable action) {
            if (root(Vertx.currentContext()) == context) action.run();
            else context.runOnContext(v -> action.run());
        }

        /**
         * Live events from the bus, in order, with their frames, and {@code all} the frames
         * joined: held while the replay runs, else written at once (one write).
         */
        void deliver(List<RunEvent> events, List<Buffer> frames, Buffer all) {
            if (done) return;
            if (replaying) {
                for (int i = 0; i < events.size() && !done; i++) hold(events.get(i), frames.get(i));
                return;
            }
            int from = 0;
            int to = events.size();
            if (runId != null) {
                while (from < to && events.get(from).seq() <= lastSent) from++; // sent by the replay already
                if (relay != null && from < to && events.get(from).seq() > lastSent + 1) {
                    // Events are missing (the run moved to this node mid-stream): end the stream, so that
                    // its client resumes from the journal with Last-Event-ID, rather than skip them.
                    finish();
                    return;
                }
                for (int i = from; i < to; i++) {
                    if (endsRun(events.get(i))) {
                        to = i + 1;
                        break;
                    }
                }
            }
            if (from >= to) return;
            if (unsent > MAX_UNSENT_BYTES || response.writeQueueFull()) {
                // Too slow a reader: let it reconnect with Last-Event-ID rather than buffer without bound.
                cut();
                return;
            }
            send(from == 0 && to == events.size() ? all : join(frames.subList(from, to)));
            if (runId == null) return;
            RunEvent last = events.get(to - 1);
            lastSent = last.seq();
            if (endsRun(last)) finish();
        }

        /** A message that is news only (an answer's delta): sent when the stream is live and keeping up, else dropped. */
        void sendTransient(Buffer frame) {
            if (done || replaying || ended || unsent > MAX_UNSENT_BYTES || response.writeQueueFull()) return;
            send(frame);
        }

        /** A live event that came while the replay runs, kept (within bounds) to be sent after it. */
        private void hold(RunEvent event, Buffer frame) {
            heldBytes += frame.length();
            if (heldBytes > MAX_HELD_BYTES) {
                cut();
                return;
            }
            pending.addLast(new Held(event, frame));
        }

        /** The journal's events after {@code after} have been read (or not): send them, then what was held, then go live. */
        void replay(AsyncResult<List<RunEvent>> result, long after) {
            if (done) return;
            if (result.failed()) {
                release();
                ApiError.respond(ctx, result.cause());
                return;
            }
            open();
            // The replay goes first, the live events held so far after it.
            List<Held> live = new ArrayList<>(pending);
            pending.clear();
            for (RunEvent event : result.result()) pending.addLast(new Held(event, null));
            pending.addAll(live);
            boolean fromJournal = !result.result().isEmpty();
            pump(() -> {
                if (ended) {
                    finish();
                    return;
                }
                if (fromJournal) return;
                // Resuming after the last event of a finished run: nothing more will come (unless its answer is being written).
                long sent = lastSent;
                orchestrator.runRecord(runId).onSuccess(record -> onContext(() -> {
                    if (!done && record.isPresent() && FINISHED.contains(record.get().status()) && sent >= after && lastSent == sent) {
                        if (!"SUCCEEDED".equals(record.get().status())) {
                            finish();
                            return;
                        }
                        orchestrator.run(runId).onSuccess(run -> onContext(() -> {
                            if (!done && lastSent == sent && !"WRITING".equals(run.path("answerStatus").asText())) finish();
                        }));
                    }
                }));
            });
        }

        /**
         * Writes what is pending, waiting for the client to read when too much is unsent: the
         * journal's events, all of them (a reopened run has events after an end), then the live
         * ones held meanwhile that the journal read did not have, unless the run has ended. Then
         * goes live and runs {@code then}.
         */
        private void pump(Runnable then) {
            while (!pending.isEmpty()) {
                if (done) return;
                if (unsent > MAX_UNSENT_BYTES) {
                    whenSent = () -> pump(then);
                    return;
                }
                Held next = pending.pollFirst();
                boolean live = next.frame() != null;
                if (live) {
                    heldBytes -= next.frame().length();
                    if (ended || next.event().seq() <= lastSent) continue;
                }
                lastSent = next.event().seq();
                send(live ? next.frame() : frame(next.event(), masked));
                ended = endsRun(next.event());
            }
            if (done) return;
            replaying = false;
            then.run();
        }

        /** Writes, counting the bytes until they reach the socket. */
        private void send(Buffer buffer) {
            int length = buffer.length();
            unsent += length;
            // completes on the connection's event loop, this stream's
            response.write(buffer).onComplete(written -> {
                unsent -= length;
                if (whenSent != null && unsent <= MAX_UNSENT_BYTES / 2) {
                    Runnable next = whenSent;
                    whenSent = null;
                    next.run();
                }
            });
        }

        void open() {
            response.setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no");
            response.write(": connected\n\n");
            heartbeat = vertx.setPeriodic(HEARTBEAT_MS, id -> {
                if (!response.ended() && !response.closed()) response.write(": keep-alive\n\n");
            });
        }

        /** The run ended: close the stream. */
        void finish() {
            release();
            if (!response.ended() && !response.closed()) response.end();
        }

        /** The client does not read: drop it (it resumes with Last-Event-ID). */
        void cut() {
            quota.cut();
            release();
            if (!response.closed()) response.reset();
        }

        /** Stops the stream's deliveries and gives its place back; once, however often it is called. */
        void release() {
            if (!released.compareAndSet(false, true)) return;
            done = true;
            pending.clear();
            whenSent = null;
            if (heartbeat >= 0) vertx.cancelTimer(heartbeat);
            if (runId == null) {
                allRuns.remove(this);
            } else {
                if (relay != null && watching.compareAndSet(true, false)) relay.unwatch(runId);
                byRun.computeIfPresent(runId, (id, set) -> {
                    set.remove(this);
                    return set.isEmpty() ? null : set;
                });
            }
            quota.release(client);
        }
    }

    /**
     * The event loop's own context for a request's: Vert.x gives each request a duplicate of its
     * connection's context (same thread, same task queue). Streams are grouped by it, so that an
     * event reaches all the streams of one event loop in one task, not one task per stream.
     */
    private static Context root(Context context) {
        return context instanceof ContextInternal internal ? internal.unwrap() : context;
    }

    /** The last event of a run's stream: its end, or, for a run that asked for an answer, the answer's end after it. */
    private static boolean endsRun(RunEvent event) {
        if (event == null) return false;
        EventData data = event.data();
        if (data instanceof EventData.RunSucceeded succeeded) return !succeeded.answering();
        return data instanceof EventData.AnswerWritten || data instanceof EventData.AnswerFailed
                || data instanceof EventData.RunFailed || data instanceof EventData.RunCancelled
                || data instanceof EventData.CompensationFailed; // COMPENSATION_FAILED: nothing more until someone retries
    }

    private static long lastEventId(RoutingContext ctx) {
        String value = ctx.request().getHeader("Last-Event-ID");
        if (value == null) value = ctx.request().getParam("lastEventId");
        if (value == null || value.isBlank()) return 0;
        try {
            long seq = Long.parseLong(value.trim());
            if (seq < 0) throw new NumberFormatException();
            return seq;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("Last-Event-ID must be the seq number of an event (a whole number), not '" + value + "'");
        }
    }
}
