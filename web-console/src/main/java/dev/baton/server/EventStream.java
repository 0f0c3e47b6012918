package dev.baton.server;

import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.orchestrator.Orchestrator;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Server-sent events: a run's events from the journal, then live ones from the event bus
 * until the run ends; or every run's live events.
 *
 * <p>To lose nothing between the replay and the live feed, the stream subscribes first,
 * buffers, reads the journal, and then drops buffered events it already sent. Events reach
 * the bus only once they are durable, so whatever was published before the subscription is
 * in the journal read. A client that cannot keep up is disconnected and resumes with
 * {@code Last-Event-ID}: the journal, not the bus, is what makes the stream complete.
 */
final class EventStream {
    private static final long HEARTBEAT_MS = 15_000;
    private static final java.util.Set<String> FINISHED = java.util.Set.of("SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATION_FAILED");

    private final Vertx vertx;
    private final Orchestrator orchestrator;

    EventStream(Vertx vertx, Orchestrator orchestrator) {
        this.vertx = vertx;
        this.orchestrator = orchestrator;
    }

    /** {@code GET /api/runs/{id}/events}. */
    void run(RoutingContext ctx) {
        String runId = ctx.pathParam("id");
        long after = lastEventId(ctx);
        HttpServerResponse response = ctx.response();
        List<RunEvent> buffer = new ArrayList<>();
        long[] lastSent = {after};
        boolean[] replayed = {false};
        MessageConsumer<RunEvent> consumer = vertx.eventBus().consumer(Orchestrator.EVENTS_ADDRESS);
        consumer.handler(message -> {
            RunEvent event = message.body();
            if (!event.runId().equals(runId)) return;
            if (!replayed[0]) {
                buffer.add(event);
            } else if (event.seq() > lastSent[0]) {
                lastSent[0] = event.seq();
                send(response, consumer, event, true);
            }
        });
        consumer.completion().compose(v -> orchestrator.events(runId, after)).onComplete(result -> {
            if (result.failed()) {
                consumer.unregister();
                ApiError.respond(ctx, result.cause());
                return;
            }
            open(response, consumer);
            boolean ended = false;
            for (RunEvent event : result.result()) {
                lastSent[0] = event.seq();
                ended = send(response, consumer, event, false);
            }
            for (RunEvent event : buffer) {
                if (event.seq() > lastSent[0] && !ended) {
                    lastSent[0] = event.seq();
                    ended = send(response, consumer, event, false);
                }
            }
            buffer.clear();
            replayed[0] = true;
            if (ended) {
                finish(response, consumer);
                return;
            }
            // Resuming after the last event of a finished run: nothing more will come.
            orchestrator.runRecord(runId).onSuccess(record -> {
                if (record.isPresent() && FINISHED.contains(record.get().status()) && lastSent[0] >= after
                        && result.result().isEmpty()) {
                    finish(response, consumer);
                }
            });
        });
    }

    /** {@code GET /api/events}: every run's events, live only. */
    void all(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        MessageConsumer<RunEvent> consumer = vertx.eventBus().consumer(Orchestrator.EVENTS_ADDRESS);
        consumer.handler(message -> send(response, consumer, message.body(), false));
        consumer.completion().onComplete(v -> open(response, consumer));
    }

    private void open(HttpServerResponse response, MessageConsumer<RunEvent> consumer) {
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(": connected\n\n");
        long heartbeat = vertx.setPeriodic(HEARTBEAT_MS, id -> {
            if (!response.ended() && !response.closed()) response.write(": keep-alive\n\n");
        });
        Runnable cleanup = () -> {
            vertx.cancelTimer(heartbeat);
            consumer.unregister();
        };
        response.closeHandler(v -> cleanup.run());
        response.endHandler(v -> cleanup.run());
    }

    /**
     * Writes one event; returns true if it ended the run (the stream then closes once the
     * caller is done). With {@code closeAtEnd} the stream is closed here.
     */
    private boolean send(HttpServerResponse response, MessageConsumer<RunEvent> consumer, RunEvent event, boolean closeAtEnd) {
        if (response.ended() || response.closed()) return true;
        if (response.writeQueueFull()) {
            // Too slow a reader: let it reconnect with Last-Event-ID rather than buffer without bound.
            consumer.unregister();
            response.reset();
            return true;
        }
        String frame = "id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + EventCodec.toApiJson(event) + "\n\n";
        response.write(frame);
        boolean ends = endsRun(event);
        if (ends && closeAtEnd) finish(response, consumer);
        return ends;
    }

    private static boolean endsRun(RunEvent event) {
        if (event == null) return false;
        EventData data = event.data();
        return data instanceof EventData.RunSucceeded || data instanceof EventData.RunFailed || data instanceof EventData.RunCancelled
                || data instanceof EventData.CompensationFailed; // COMPENSATION_FAILED: nothing more until someone retries
    }

    private static void finish(HttpServerResponse response, MessageConsumer<RunEvent> consumer) {
        consumer.unregister();
        if (!response.ended() && !response.closed()) response.end();
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
