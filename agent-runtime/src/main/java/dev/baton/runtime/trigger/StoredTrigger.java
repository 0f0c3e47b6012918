package dev.baton.runtime.trigger;

/** A trigger as a {@link TriggerStore} keeps it: its definition, whether it is paused, and its firing state. */
public record StoredTrigger(TriggerSpec spec, boolean paused, FiringState state) {
}
