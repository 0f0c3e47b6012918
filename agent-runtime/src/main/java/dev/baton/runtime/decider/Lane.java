package dev.baton.runtime.decider;

/**
 * Where an attempt runs for a task: its own action, its fallback (after the task failed for
 * good), or its compensation (while its run unwinds). Every lane has the same attempt
 * lifecycle (start, end, retry by the lane's policy or give up); only the events differ.
 */
public enum Lane {
    TASK, FALLBACK, COMPENSATION
}
