package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Objects;

/**
 * A person's decision on a task waiting for approval. Made most readably with the factories and
 * their named options, each returning a new decision:
 *
 * <pre>{@code
 * orchestrator.decide(ApprovalDecision.approve(runId, "reserve").by("alice").comment("stock checked"));
 * orchestrator.decide(ApprovalDecision.reject(runId, "reserve").by("bob").comment("wrong customer"));
 * orchestrator.decide(ApprovalDecision.approve(runId, "reserve").by("carol").withArgs(editedArgs).asAdmin());
 * }</pre>
 *
 * @param approve true to approve, false to reject
 * @param by      who decided, from their credentials (never from the request body)
 * @param admin   whether they hold the admin role (needed for escalated approvals)
 * @param comment optional
 * @param args    replacement arguments (approve only), or null
 */
public record ApprovalDecision(String runId, String taskId, boolean approve, String by, boolean admin, String comment,
                               JsonNode args) {

    /** Who decides when no {@link #by(String)} is given. */
    public static final String UNNAMED = "embedded";

    /** Approves the task: it runs with its arguments as they are; decided by {@value #UNNAMED} until {@link #by(String)} says who. */
    public static ApprovalDecision approve(String runId, String taskId) {
        return new ApprovalDecision(Objects.requireNonNull(runId, "runId"), Objects.requireNonNull(taskId, "taskId"),
                true, UNNAMED, false, null, null);
    }

    /** Rejects the task: it becomes REJECTED and what depends on it is skipped. */
    public static ApprovalDecision reject(String runId, String taskId) {
        return new ApprovalDecision(Objects.requireNonNull(runId, "runId"), Objects.requireNonNull(taskId, "taskId"),
                false, UNNAMED, false, null, null);
    }

    /** The same decision, made by {@code person} (recorded in the journal and shown in the console). */
    public ApprovalDecision by(String person) {
        return new ApprovalDecision(runId, taskId, approve, Objects.requireNonNull(person, "by"), admin, comment, args);
    }

    /** The same decision, with a comment for the record. */
    public ApprovalDecision comment(String text) {
        return new ApprovalDecision(runId, taskId, approve, by, admin, text, args);
    }

    /** The same decision made with the admin role: needed to decide an escalated approval. */
    public ApprovalDecision asAdmin() {
        return new ApprovalDecision(runId, taskId, approve, by, true, comment, args);
    }

    /**
     * The same approval, running the task with {@code replacement} arguments instead of its own
     * (checked against the tool's schema when decided).
     *
     * @throws IllegalStateException on a rejection: only an approval can change the arguments
     */
    public ApprovalDecision withArgs(JsonNode replacement) {
        if (!approve) throw new IllegalStateException("only an approval can replace the task's arguments; this decision rejects");
        return new ApprovalDecision(runId, taskId, approve, by, admin, comment, Objects.requireNonNull(replacement, "args"));
    }
}
