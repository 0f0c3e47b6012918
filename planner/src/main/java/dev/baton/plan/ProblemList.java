package dev.baton.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects plan problems, keeping the first {@value #LIMIT}: a broken plan of thousands of
 * tasks must not produce a message of megabytes. The dropped ones are counted in a last problem.
 */
final class ProblemList {
    static final int LIMIT = 100;

    private final List<PlanProblem> problems = new ArrayList<>();
    private int dropped;

    void add(String taskId, String field, String message) {
        if (problems.size() < LIMIT) problems.add(new PlanProblem(taskId, field, message));
        else dropped++;
    }

    /** Every problem added, listed or not. */
    int count() {
        return problems.size() + dropped;
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    /** True once further problems are only counted; callers may skip costly messages. */
    boolean full() {
        return problems.size() >= LIMIT;
    }

    List<PlanProblem> toList() {
        List<PlanProblem> all = new ArrayList<>(problems);
        if (dropped > 0) all.add(new PlanProblem(null, null, dropped + " more problems not listed"));
        return List.copyOf(all);
    }
}
