package dev.baton.runtime.run;

import dev.baton.runtime.event.EventData;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of one state machine: in status {@code from}, an event of type {@code event} (when
 * {@code when} holds of it) leads to status {@code to}. An event with no row for the current
 * status is not allowed there. Rows whose {@code from} is null start the machine (the run's
 * first event). Built once, read by every {@link RunState#apply}; immutable.
 *
 * @param <S> the status type
 */
public final class TransitionTable<S extends Enum<S>> {

    /** One transition; {@code from == to} for an event allowed without a change of status. */
    public record Row<S extends Enum<S>>(S from, Class<? extends EventData> event, When when, S to) {
        /** How the row reads in a message or a diagram label: {@code TaskAttemptFailed (retryAt)}. */
        public String label() {
            return event.getSimpleName() + (when == When.ALWAYS ? "" : " (" + when.label() + ")");
        }
    }

    private final String name;
    private final Class<S> type;
    private final List<Row<S>> rows;
    /** Rows by from's ordinal (the last slot: from == null), then by event class. */
    private final List<Map<Class<?>, List<Row<S>>>> index;

    private TransitionTable(String name, Class<S> type, List<Row<S>> rows) {
        this.name = name;
        this.type = type;
        this.rows = List.copyOf(rows);
        int slots = type.getEnumConstants().length + 1;
        index = new ArrayList<>(slots);
        for (int i = 0; i < slots; i++) index.add(new HashMap<>());
        for (Row<S> row : rows) {
            if (!row.when().appliesTo(row.event())) {
                throw new IllegalArgumentException(name + ": guard " + row.when() + " does not apply to " + row.event().getSimpleName());
            }
            List<Row<S>> same = index.get(slot(row.from())).computeIfAbsent(row.event(), k -> new ArrayList<>(2));
            for (Row<S> other : same) {
                if (other.when() == row.when() || other.when() == When.ALWAYS || row.when() == When.ALWAYS) {
                    throw new IllegalArgumentException(name + ": two rows for " + row.from() + " and " + row.label());
                }
            }
            same.add(row);
        }
    }

    /** A table under construction; rows keep the order they are added in (the diagram's order). */
    public static <S extends Enum<S>> Builder<S> of(String name, Class<S> type) {
        return new Builder<>(name, type);
    }

    /** The machine's name, as messages and the docs say it: {@code run}, {@code task}, ... */
    public String name() {
        return name;
    }

    public Class<S> statusType() {
        return type;
    }

    public List<Row<S>> rows() {
        return rows;
    }

    /** The row that allows {@code event} in status {@code from} (null: before the first event), or null if none does. */
    public Row<S> find(S from, EventData event) {
        List<Row<S>> candidates = index.get(slot(from)).get(event.getClass());
        if (candidates == null) return null;
        for (Row<S> row : candidates) {
            if (row.when().holds(event)) return row;
        }
        return null;
    }

    /** Whether any row handles events of this type (in any status). */
    public boolean handles(Class<? extends EventData> event) {
        for (Map<Class<?>, List<Row<S>>> byEvent : index) {
            if (byEvent.containsKey(event)) return true;
        }
        return false;
    }

    private int slot(S from) {
        return from == null ? index.size() - 1 : from.ordinal();
    }

    public static final class Builder<S extends Enum<S>> {
        private final String name;
        private final Class<S> type;
        private final List<Row<S>> rows = new ArrayList<>();

        private Builder(String name, Class<S> type) {
            this.name = name;
            this.type = type;
        }

        /** The machine's first event: it leads from nothing to {@code to}. */
        public Builder<S> start(Class<? extends EventData> event, S to) {
            rows.add(new Row<>(null, event, When.ALWAYS, to));
            return this;
        }

        public Builder<S> row(S from, Class<? extends EventData> event, S to) {
            return row(from, event, When.ALWAYS, to);
        }

        public Builder<S> row(S from, Class<? extends EventData> event, When when, S to) {
            rows.add(new Row<>(from, event, when, to));
            return this;
        }

        /** The same transition from each of {@code froms}. */
        public Builder<S> rows(List<S> froms, Class<? extends EventData> event, S to) {
            for (S from : froms) row(from, event, to);
            return this;
        }

        /** Events allowed in each of {@code in} that change no status (from -> same). */
        @SafeVarargs
        public final Builder<S> keeps(List<S> in, Class<? extends EventData>... events) {
            for (Class<? extends EventData> event : events) {
                for (S status : in) row(status, event, status);
            }
            return this;
        }

        public TransitionTable<S> build() {
            return new TransitionTable<>(name, type, Collections.unmodifiableList(rows));
        }
    }
}
