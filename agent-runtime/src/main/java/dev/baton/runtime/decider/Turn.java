package dev.baton.runtime.decider;

import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.run.RunState;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One decision in the making: the run, the facts it was asked with, and what it has decided so
 * far. Events are folded into the run as they are decided, so later rules see their effect.
 */
final class Turn {
    final RunState run;
    final Facts facts;
    final Instant now;
    private final List<RunEvent> events = new ArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    /** Calls this turn started and stopped: the facts do not know them yet. */
    private final Set<String> started = new HashSet<>();
    private final Set<String> interrupted = new HashSet<>();
    private int slotsLeft;
    /** Tasks whose dependencies changed; a queue so that long chains do not recurse. */
    final Deque<String> toAdvance = new ArrayDeque<>();
    boolean advancing;

    Turn(RunState run, Facts facts) {
        this.run = run;
        this.facts = facts;
        this.now = facts.now();
        this.slotsLeft = facts.freeSlots();
    }

    void emit(EventData data) {
        RunEvent event = new RunEvent(run.lastSeq() + 1, run.id(), now, data);
        run.apply(event);
        events.add(event);
    }

    void command(Command command) {
        commands.add(command);
        if (command instanceof Command.StartTool s) startedCall(s.taskId());
        else if (command instanceof Command.StartAgent s) startedCall(s.taskId());
        else if (command instanceof Command.Interrupt i) {
            started.remove(i.taskId());
            if (facts.inFlight(i.taskId())) interrupted.add(i.taskId());
        }
    }

    private void startedCall(String taskId) {
        if (!inFlight(taskId)) slotsLeft--;
        started.add(taskId);
        interrupted.remove(taskId);
    }

    boolean slotFree() {
        return slotsLeft > 0;
    }

    boolean inFlight(String taskId) {
        return started.contains(taskId) || facts.inFlight(taskId) && !interrupted.contains(taskId);
    }

    int callsInFlight() {
        int count = facts.callsInFlight() - interrupted.size();
        for (String taskId : started) if (!facts.inFlight(taskId) || interrupted.contains(taskId)) count++;
        return count;
    }

    Decision decision() {
        return events.isEmpty() && commands.isEmpty() ? Decision.NONE : new Decision(events, commands);
    }
}
