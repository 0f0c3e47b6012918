package dev.baton.runtime.journal;

import java.util.List;

/** One page of runs, newest first; {@code next} is the cursor of the following page, or null. */
public record RunPage(List<RunRecord> runs, String next) {
}
