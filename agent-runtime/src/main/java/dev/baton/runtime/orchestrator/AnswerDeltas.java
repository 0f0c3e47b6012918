package dev.baton.runtime.orchestrator;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * Publishes the pieces of a run's answer as they stream from the model, on
 * {@link Orchestrator#ANSWER_DELTAS_ADDRESS}: {@code {"runId", "index", "text", "at"}}, index
 * counting from 0. They are news, not truth: never journaled (one row per token would cost a
 * commit each and bloat the run's log for text the final {@code AnswerWritten} holds whole), so
 * a client that missed some reads the answer from that event or from the run. Published from the
 * writer's thread, in order; the event bus delivers them to its one consumer in that order.
 */
final class AnswerDeltas implements Consumer<String> {
    private final Vertx vertx;
    private final String runId;
    private int index;

    AnswerDeltas(Vertx vertx, String runId) {
        this.vertx = vertx;
        this.runId = runId;
    }

    @Override
    public void accept(String piece) {
        if (piece == null || piece.isEmpty()) return;
        vertx.eventBus().publish(Orchestrator.ANSWER_DELTAS_ADDRESS, new JsonObject()
                .put("runId", runId).put("index", index++).put("text", piece).put("at", Instant.now().toString()));
    }
}
