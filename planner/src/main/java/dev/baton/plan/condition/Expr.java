package dev.baton.plan.condition;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A parsed condition: a small tree of literals, references and operators, nothing else. There
 * is no call out of the tree (no method, no reflection, no code): {@link Evaluator} walks it
 * over plain JSON values.
 */
public sealed interface Expr {

    /** A number, string, boolean or null, as JSON. */
    record Literal(JsonNode value) implements Expr {
    }

    /** {@code [a, b, c]}. */
    record ListOf(List<Expr> items) implements Expr {
        public ListOf {
            items = List.copyOf(items);
        }
    }

    /**
     * A reference: {@code input.path}, {@code task.output.path}, {@code task.status} or
     * {@code task.error.path}.
     *
     * @param root {@code input} or a task id
     * @param part {@code input}, {@code output}, {@code status} or {@code error}
     * @param path property names (String) and indexes (Integer) below the part
     * @param text the reference as written, for messages
     * @param at   where it starts in the condition (1-based)
     */
    record Ref(String root, String part, List<Object> path, String text, int at) implements Expr {
        public Ref {
            path = List.copyOf(path);
        }

        /** Whether this reads another task (its output, status or error) rather than the run's input. */
        public boolean readsTask() {
            return !part.equals("input");
        }
    }

    /** {@code ==}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}. */
    record Compare(String op, Expr left, Expr right) implements Expr {
    }

    /** {@code left in right} (negated: {@code left not in right}). */
    record In(Expr left, Expr right, boolean negated) implements Expr {
    }

    record And(Expr left, Expr right) implements Expr {
    }

    record Or(Expr left, Expr right) implements Expr {
    }

    record Not(Expr operand) implements Expr {
    }

    /** {@code exists(ref)}: the reference has a non-null value. */
    record Exists(Ref ref) implements Expr {
    }
}
