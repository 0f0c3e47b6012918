package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A person's decision on a task waiting for approval.
 *
 * @param approve true to approve, false to reject
 * @param by      who decided, from their credentials (never from the request body)
 * @param admin   whether they hold the admin role (needed for escalated approvals)
 * @param comment optional
 * @param args    replacement arguments (approve only), or null
 */
public record ApprovalDecision(String runId, String taskId, boolean approve, String by, boolean admin, String comment,
                               JsonNode args) {
}
