package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.run.RunStatus;

import java.time.Instant;
import java.util.Objects;

/**
 * Hears what happens to runs, so that nobody polls: register one with
 * {@link Orchestrator#addListener} (or {@code Baton.onApprovalRequested} and friends) and
 * override the methods you need.
 *
 * <pre>{@code
 * orchestrator.addListener(new RunListener() {
 *     public void onApprovalRequested(ApprovalRequested request) {
 *         orchestrator.decide(ApprovalDecision.approve(request.runId(), request.taskId()).by("bot"));
 *     }
 * });
 * }</pre>
 *
 * <p><b>When.</b> A listener hears an event once the journal has it (the same moment the event
 * bus and the console hear it), in the order of the run's events, for the runs this
 * orchestrator owns: all of them on a single node. A run reopened by a retry can finish twice.
 *
 * <p><b>Threads.</b> Listeners are called on one thread of their own ({@code baton-listeners}),
 * never on an event loop, one event after another: a listener may block briefly (call
 * {@code decide(...).await(...)}, write a file) without holding runs up, but a slow one delays
 * what the others hear. A listener that throws is logged and skipped; the others and the run go
 * on.
 */
public interface RunListener {

    /** Every durable event of every run, first of all the methods for that event. */
    default void onEvent(RunEvent event) {
    }

    /** A task waits for a person's decision: answer with {@link Orchestrator#decide}. */
    default void onApprovalRequested(ApprovalRequested request) {
    }

    /** A run ended: SUCCEEDED, FAILED, CANCELLED or COMPENSATION_FAILED. */
    default void onRunFinished(RunFinished finished) {
    }

    /**
     * A task waits for a person.
     *
     * @param title     the task's title
     * @param tool      its tool, or null for a task of another kind
     * @param args      the resolved arguments the person decides on
     * @param expiresAt when the approval expires, or null for never
     */
    record ApprovalRequested(String runId, String taskId, String title, String tool, JsonNode args, Instant expiresAt) {
        static ApprovalRequested of(RunEvent event, EventData.ApprovalRequested data) {
            return new ApprovalRequested(event.runId(), data.taskId(), data.title(), data.tool(), data.args(), data.expiresAt());
        }

        /** An approval of this task, to be completed with {@code .by(...)}, {@code .comment(...)}. */
        public ApprovalDecision approve() {
            return ApprovalDecision.approve(runId, taskId);
        }

        /** A rejection of this task, to be completed with {@code .by(...)}, {@code .comment(...)}. */
        public ApprovalDecision reject() {
            return ApprovalDecision.reject(runId, taskId);
        }
    }

    /**
     * A run ended.
     *
     * @param status SUCCEEDED, FAILED, CANCELLED or COMPENSATION_FAILED
     * @param result the run's result when it SUCCEEDED, else null
     * @param error  why it failed ({@code code}, {@code message}) when it did not succeed and there is a reason, else null
     */
    record RunFinished(String runId, RunStatus status, JsonNode result, EventData.Failure error) {
        public RunFinished {
            Objects.requireNonNull(runId, "runId");
            Objects.requireNonNull(status, "status");
        }

        public boolean succeeded() {
            return status == RunStatus.SUCCEEDED;
        }

        /** The run's end if {@code event} ends it, else null. */
        static RunFinished of(RunEvent event) {
            EventData data = event.data();
            if (data instanceof EventData.RunSucceeded s) return new RunFinished(event.runId(), RunStatus.SUCCEEDED, s.result(), null);
            if (data instanceof EventData.RunFailed f) return new RunFinished(event.runId(), RunStatus.FAILED, null, f.error());
            if (data instanceof EventData.RunCancelled c) {
                return new RunFinished(event.runId(), RunStatus.CANCELLED, null, c.reason() == null ? null
                        : new EventData.Failure("cancelled", c.reason()));
            }
            if (data instanceof EventData.CompensationFailed f) {
                return new RunFinished(event.runId(), RunStatus.COMPENSATION_FAILED, null, f.error());
            }
            return null;
        }
    }

    /** A listener's registration: {@link #close()} stops it hearing anything more. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
