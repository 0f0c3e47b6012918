package dev.baton.runtime.orchestrator;

import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.RunEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes {@link RunEvent}s over the local event bus as objects (they are immutable), and as
 * their API JSON should the bus ever be clustered.
 */
final class RunEventCodec implements MessageCodec<RunEvent, RunEvent> {

    @Override
    public void encodeToWire(Buffer buffer, RunEvent event) {
        byte[] json = EventCodec.toApiJson(event).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        buffer.appendInt(json.length).appendBytes(json);
    }

    @Override
    public RunEvent decodeFromWire(int pos, Buffer buffer) {
        throw new UnsupportedOperationException("run events are published on the local event bus only");
    }

    @Override
    public RunEvent transform(RunEvent event) {
        return event;
    }

    @Override
    public String name() {
        return "baton-run-event";
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
