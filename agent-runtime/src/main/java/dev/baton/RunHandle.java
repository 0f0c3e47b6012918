package dev.baton;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.runtime.orchestrator.Orchestrator;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/** A run that {@link Baton#run} started: its id, its end, its state now. */
public final class RunHandle {
    private final String id;
    private final Orchestrator orchestrator;

    RunHandle(String id, Orchestrator orchestrator) {
        this.id = id;
        this.orchestrator = orchestrator;
    }

    /** The run's id, as the API and the journal name it. */
    public String id() {
        return id;
    }

    /**
     * Waits until the run has ended (and that is durable) and says how.
     *
     * @throws IllegalStateException if it has not ended within {@code timeout} (it goes on)
     */
    public RunResult await(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return RunResult.of(Baton.await(orchestrator.whenFinished(id), timeout));
    }

    /** Completes once the run has ended, without blocking anyone. */
    public CompletionStage<RunResult> finished() {
        return orchestrator.whenFinished(id).map(RunResult::of).toCompletionStage();
    }

    /** The run as the HTTP API shows it now. */
    public ObjectNode state() {
        return Baton.await(orchestrator.run(id), Baton.WAIT);
    }

    /** Cancels the run; its unfinished tasks become CANCELLED. */
    public void cancel(String by) {
        Baton.await(orchestrator.cancel(id, by), Baton.WAIT);
    }

    @Override
    public String toString() {
        return "run " + id;
    }
}
