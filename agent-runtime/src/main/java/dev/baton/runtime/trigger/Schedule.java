package dev.baton.runtime.trigger;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

/** When a schedule trigger fires: a cron expression in a time zone, or a fixed interval. */
public sealed interface Schedule {

    /** The first firing time strictly after {@code after}, or null if there is none. */
    Instant next(Instant after);

    /** A cron expression read as wall-clock time in {@code zone}. */
    record Cron(CronExpression expression, ZoneId zone) implements Schedule {
        @Override
        public Instant next(Instant after) {
            return expression.next(after, zone);
        }
    }

    /**
     * Every {@code interval}, at {@code anchor + k * interval}: the times do not drift with
     * lateness or restarts, so a firing's time (and with it its idempotency key) is always the same.
     */
    record Every(Duration interval, Instant anchor) implements Schedule {
        @Override
        public Instant next(Instant after) {
            long step = interval.toMillis();
            long since = after.toEpochMilli() - anchor.toEpochMilli();
            long k = since < 0 ? 0 : since / step + 1;
            return anchor.plusMillis(k * step);
        }
    }
}
