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
public interface Tool {

    ToolDescriptor descriptor();

    /**
     * Does the work.
     *
     * @return the output, any JSON value; it becomes {@code ${task.output...}} for later tasks
     * @throws ToolException for failures the tool understands, saying whether a retry may help
     * @throws Exception     anything else, counted as a retryable {@code tool_error}
     */
    JsonNode call(JsonNode args, ToolContext context) throws Exception;
}
