package dev.baton.runtime.decider;

import dev.baton.runtime.event.RunEvent;

import java.util.List;

/**
 * What the decider decided for one input: the events to append (already folded into the run's
 * state, in order) and the commands for the shell to carry out once it has queued them.
 */
public record Decision(List<RunEvent> events, List<Command> commands) {
    public static final Decision NONE = new Decision(List.of(), List.of());

    public boolean isEmpty() {
        return events.isEmpty() && commands.isEmpty();
    }
}
