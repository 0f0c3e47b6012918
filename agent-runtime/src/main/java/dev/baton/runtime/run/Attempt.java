package dev.baton.runtime.run;

import dev.baton.runtime.event.EventData.Failure;

import java.time.Instant;

/** One attempt of a task, for the task's detail view. {@code finishedAt} and {@code error} are null while it runs. */
public record Attempt(int number, Instant startedAt, Instant finishedAt, Failure error) {
}
