package dev.baton.plan;

import java.util.List;
import java.util.stream.Collectors;

/** A plan that cannot run, with every problem found (not only the first). */
public class PlanException extends Exception {
    private final List<PlanProblem> problems;

    public PlanException(List<PlanProblem> problems) {
        super(problems.stream().map(PlanProblem::toString).collect(Collectors.joining("; ")));
        this.problems = List.copyOf(problems);
    }

    public List<PlanProblem> problems() {
        return problems;
    }
}
