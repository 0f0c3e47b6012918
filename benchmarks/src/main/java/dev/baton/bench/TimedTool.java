package dev.baton.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolDescriptor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tool as it is, plus a note of when each task's call entered and left it: what the event
 * bus cannot show, since the orchestrator calls a tool before its TaskStarted is durable.
 */
final class TimedTool implements BatonTool {

    /** Entry and exit of one task's call, {@link System#nanoTime()}. */
    record Call(long entered, long left) {
    }

    private final BatonTool delegate;
    private final Map<String, Call> calls = new ConcurrentHashMap<>();

    TimedTool(BatonTool delegate) {
        this.delegate = delegate;
    }

    @Override
    public ToolDescriptor descriptor() {
        return delegate.descriptor();
    }

    @Override
    public JsonNode call(JsonNode args, ToolContext context) throws Exception {
        long entered = System.nanoTime();
        try {
            return delegate.call(args, context);
        } finally {
            calls.put(context.taskId(), new Call(entered, System.nanoTime()));
        }
    }

    Map<String, Call> calls() {
        return calls;
    }
}
