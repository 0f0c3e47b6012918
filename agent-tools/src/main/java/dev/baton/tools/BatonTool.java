package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A capability the orchestrator can call: a plan's tool task, or a tool an agent uses.
 *
 * <p>Implementations block freely (HTTP, databases, files): Baton calls them on a virtual
 * thread when the JVM has them, on platform threads otherwise, never on an event loop. A call that
 * does not answer in time is interrupted: honour the interrupt (or {@link ToolContext#deadline()}).
 * The arguments have already been checked against {@link ToolDescriptor#parameters()}.
 * A call may be repeated (retries, or a rerun after a crash); {@link ToolContext#idempotencyKey()}
 * lets the tool or the system behind it recognise a repeat.
 */
public interface BatonTool {

    ToolDescriptor descriptor();

    /**
     * Does the work.
     *
     * @return the output, any JSON value; it becomes {@code ${task.output...}} for later tasks
     * @throws ToolException for failures the tool understands, saying whether a retry may help
     * @throws Exception     anything else, counted as a retryable {@code tool_error}
     */
    JsonNode call(JsonNode args, ToolContext context) throws Exception;

    /**
     * Whether a call may block: do I/O, sleep, wait for a lock or compute for long. True unless
     * the tool says otherwise. A tool that answers at once from what it holds in memory may say
     * false: the orchestrator then calls it on the run's own event-loop thread instead of handing
     * the call to a task thread and back, which is most of what a step of a chain costs. Such a
     * tool must never block: every run on that thread would wait for it, and its timeout is not
     * enforced.
     */
    default boolean blocks() {
        return true;
    }
}
