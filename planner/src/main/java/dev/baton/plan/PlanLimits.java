package dev.baton.plan;

/**
 * How big a plan may be. The {@link PlanValidator} rejects a plan beyond any limit, naming it.
 *
 * @param maxTasks               tasks in one plan
 * @param maxDependenciesPerTask tasks one task may wait for ({@link TaskSpec#dependencies()})
 * @param maxArgsBytes           the arguments of one task, as compact UTF-8 JSON
 * @param maxPlanBytes           the whole plan, as compact UTF-8 JSON ({@link PlanWriter})
 */
public record PlanLimits(int maxTasks, int maxDependenciesPerTask, int maxArgsBytes, int maxPlanBytes) {

    /** 25,000 tasks, 1,000 dependencies per task, 256 KiB of arguments per task, 8 MiB per plan. */
    public static final PlanLimits DEFAULT = new PlanLimits(25_000, 1_000, 256 * 1024, 8 * 1024 * 1024);

    public PlanLimits {
        positive("maxTasks", maxTasks);
        positive("maxDependenciesPerTask", maxDependenciesPerTask);
        positive("maxArgsBytes", maxArgsBytes);
        positive("maxPlanBytes", maxPlanBytes);
    }

    private static void positive(String name, int value) {
        if (value < 1) throw new IllegalArgumentException(name + " must be at least 1, was " + value);
    }
}
