package dev.baton.runtime.orchestrator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.runtime.event.Origin;

/**
 * A gate that depends on data: consulted when a tool task becomes ready, with its resolved
 * arguments, it may make the task wait for a person's approval, with a reason (shown in the
 * approval's title). It can only ADD a gate: a task the plan or its tool gates waits whatever the
 * policy says, and a task already approved is not asked about again. Called on the
 * orchestrator's event loop: answer from memory, never block.
 *
 * <pre>{@code
 * OrchestratorOptions.builder().approvalPolicy(task ->
 *         "payments.refund".equals(task.tool()) && task.args().path("amount").asDouble() > 500
 *                 ? "refunds over 500 need a second pair of eyes" : null)
 * }</pre>
 */
@FunctionalInterface
public interface ApprovalPolicy {

    /** No gates beyond the plan's and the tools'. */
    ApprovalPolicy NONE = new ApprovalPolicy() {
        @Override
        public String gate(Candidate task) {
            return null;
        }

        @Override
        public boolean appliesTo(String tool) {
            return false;
        }
    };

    /**
     * A tool task about to start.
     *
     * @param input   the run's input
     * @param options the run's options as it was created (null when none); clients cannot set
     *                {@code options.ticket} or {@code options.trigger}, so those are the server's word
     * @param args    the task's resolved arguments
     * @param origin  who started the run (a client, a ticket, a trigger)
     */
    record Candidate(String runId, JsonNode input, JsonNode options, String taskId, String tool, JsonNode args,
                     Origin origin) {
        public Candidate {
            origin = origin == null ? Origin.fromMarks(options) : origin;
        }

        /** A task of a run whose origin its options' marks say. */
        public Candidate(String runId, JsonNode input, JsonNode options, String taskId, String tool, JsonNode args) {
            this(runId, input, options, taskId, tool, args, null);
        }
    }

    /** Why a person must approve this task before it runs, or null to let it run (as far as this policy goes). */
    String gate(Candidate task);

    /**
     * Whether {@link #gate} may gate calls of this tool; for the others the orchestrator does not
     * resolve arguments a second time only to ask. All tools unless a policy says otherwise.
     */
    default boolean appliesTo(String tool) {
        return true;
    }

    /** A policy that looks only at calls of one tool. */
    static ApprovalPolicy forTool(String tool, ApprovalPolicy policy) {
        return new ApprovalPolicy() {
            @Override
            public String gate(Candidate task) {
                return tool.equals(task.tool()) ? policy.gate(task) : null;
            }

            @Override
            public boolean appliesTo(String name) {
                return tool.equals(name);
            }
        };
    }
}
