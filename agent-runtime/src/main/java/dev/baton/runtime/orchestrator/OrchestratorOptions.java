package dev.baton.runtime.orchestrator;

import dev.baton.plan.PlanLimits;

import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.agent.ModelProvider;
import dev.baton.runtime.metrics.Meters;
import dev.baton.runtime.planning.GoalPlanner;
import dev.baton.runtime.planning.ResultWriter;
import dev.baton.tools.ToolDescriptor;
import io.opentelemetry.api.OpenTelemetry;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;

/**
 * How the orchestrator runs. Build with {@link #builder()}; every setting has a default.
 *
 * @param maxConcurrentCalls     tool calls in flight at once; more ready tasks wait in the ready queue
 * @param parkedRunsInMemory     runs that only wait (for people or timers) kept in memory; the rest
 *                               are reloaded from the journal on their next event
 * @param defaultApprovalTimeout how long an approval waits when neither plan nor tool says; null = forever
 * @param planLimits             size limits for plans
 * @param clock                  the time source for event timestamps and deadlines
 * @param planner                makes plans for runs posted with a goal only, or null: such runs are then refused
 * @param agents                 the agents plans may name; by default only {@code assistant}
 * @param models                 gives agent tasks their chat model, or null: without one, plans with agent
 *                               tasks are refused and such tasks fail with {@code model_not_configured}
 * @param maxReplans             how many times a run may replan because a task failed for good (when its
 *                               planner can replan); 2 by default, 0 turns replanning after failures off
 * @param resultWriter           writes a succeeded run's answer to its goal, or null: the result is then
 *                               only the outputs
 * @param callMetrics            whether to time every tool call and agent loop per tool and agent for
 *                               {@link OrchestratorMetrics#calls()} (on by default; off only to measure what it costs)
 * @param approvalPolicy         may gate a ready tool task on its resolved arguments (only ever adds a gate);
 *                               {@link ApprovalPolicy#NONE} by default
 * @param defaultToolTimeout     how long one call of a tool that declares no timeout may take, when the plan
 *                               gives none either ({@link ToolDescriptor#DEFAULT_TIMEOUT}, 30 s, by default): so every
 *                               tool call has a timeout. Agent loops have theirs in {@link dev.baton.runtime.agent.AgentLimits}.
 * @param shards                 how many Vert.x contexts share the runs (a run belongs to one, by its id), so that
 *                               a node's throughput grows with its cores; half the available processors by default
 *                               ({@link #defaultShards()}).
 *                               {@code maxConcurrentCalls} and {@code parkedRunsInMemory} are for the node, all shards together
 * @param openTelemetry          where the spans of runs, task attempts, tool calls and planning go
 *                               ({@link dev.baton.runtime.telemetry.Tracing}); {@link OpenTelemetry#noop()} by default.
 *                               A {@link dev.baton.runtime.model.ModelGateway} traces its model calls once given the
 *                               same instance ({@link dev.baton.runtime.model.ModelGateway#traceWith})
 * @param meterRegistry          where the runtime's meters go (runs, tasks, calls per tool, journal, triggers): the server
 *                               passes its Prometheus registry, an embedder their own; by default a
 *                               {@link Meters#simple() SimpleMeterRegistry} of this orchestrator's own, and
 *                               {@link Meters#off()} records nothing
 */
public record OrchestratorOptions(int maxConcurrentCalls, int parkedRunsInMemory, Duration defaultApprovalTimeout,
                                  PlanLimits planLimits, Clock clock, GoalPlanner planner,
                                  AgentRegistry agents, ModelProvider models, int maxReplans,
                                  ResultWriter resultWriter, boolean callMetrics, ApprovalPolicy approvalPolicy,
                                  Duration defaultToolTimeout, int shards, OpenTelemetry openTelemetry,
                                  MeterRegistry meterRegistry) {

    public OrchestratorOptions {
        if (maxConcurrentCalls < 1) throw new IllegalArgumentException("maxConcurrentCalls must be at least 1");
        if (maxReplans < 0) throw new IllegalArgumentException("maxReplans must not be negative");
        if (parkedRunsInMemory < 0) throw new IllegalArgumentException("parkedRunsInMemory must not be negative");
        if (shards < 1) throw new IllegalArgumentException("shards must be at least 1, was " + shards);
        planLimits = planLimits == null ? PlanLimits.DEFAULT : planLimits;
        clock = clock == null ? Clock.systemUTC() : clock;
        agents = agents == null ? new AgentRegistry() : agents;
        approvalPolicy = approvalPolicy == null ? ApprovalPolicy.NONE : approvalPolicy;
        defaultToolTimeout = defaultToolTimeout == null ? ToolDescriptor.DEFAULT_TIMEOUT : defaultToolTimeout;
        openTelemetry = openTelemetry == null ? OpenTelemetry.noop() : openTelemetry;
        meterRegistry = meterRegistry == null ? Meters.simple() : meterRegistry;
        if (defaultToolTimeout.isNegative() || defaultToolTimeout.isZero()) {
            throw new IllegalArgumentException("defaultToolTimeout must be positive, was " + defaultToolTimeout);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Half the available processors, at least one: the other half is left to what serves the runs
     * (HTTP, the journal's writer, tool threads). Measured on 2 cores through the server, one shard
     * carried 1,000 runs/s of 13 tasks with a p99 of 0.8–1.1 s, two shards 790–910 runs/s with 3–6 s.
     */
    public static int defaultShards() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    public static OrchestratorOptions defaults() {
        return builder().build();
    }

    /** Builder; defaults: 256 concurrent calls, 10,000 parked runs in memory, approvals never expire, 30 s for tools without a timeout. */
    public static final class Builder {
        private int maxConcurrentCalls = 256;
        private int parkedRunsInMemory = 10_000;
        private Duration defaultApprovalTimeout;
        private PlanLimits planLimits = PlanLimits.DEFAULT;
        private Clock clock = Clock.systemUTC();
        private GoalPlanner planner;
        private AgentRegistry agents;
        private ModelProvider models;
        private int maxReplans = 2;
        private ResultWriter resultWriter;
        private boolean callMetrics = true;
        private ApprovalPolicy approvalPolicy;
        private Duration defaultToolTimeout = ToolDescriptor.DEFAULT_TIMEOUT;
        private int shards = defaultShards();
        private OpenTelemetry openTelemetry = OpenTelemetry.noop();
        private MeterRegistry meterRegistry;

        public Builder maxConcurrentCalls(int value) { this.maxConcurrentCalls = value; return this; }
        public Builder parkedRunsInMemory(int value) { this.parkedRunsInMemory = value; return this; }
        public Builder defaultApprovalTimeout(Duration value) { this.defaultApprovalTimeout = value; return this; }
        public Builder planLimits(PlanLimits value) { this.planLimits = value; return this; }
        public Builder clock(Clock value) { this.clock = value; return this; }
        public Builder planner(GoalPlanner value) { this.planner = value; return this; }
        public Builder agents(AgentRegistry value) { this.agents = value; return this; }
        public Builder models(ModelProvider value) { this.models = value; return this; }
        public Builder maxReplans(int value) { this.maxReplans = value; return this; }
        public Builder resultWriter(ResultWriter value) { this.resultWriter = value; return this; }
        public Builder callMetrics(boolean value) { this.callMetrics = value; return this; }
        public Builder approvalPolicy(ApprovalPolicy value) { this.approvalPolicy = value; return this; }
        public Builder defaultToolTimeout(Duration value) { this.defaultToolTimeout = value; return this; }
        public Builder shards(int value) { this.shards = value; return this; }
        public Builder openTelemetry(OpenTelemetry value) { this.openTelemetry = value; return this; }
        public Builder meterRegistry(MeterRegistry value) { this.meterRegistry = value; return this; }

        public OrchestratorOptions build() {
            return new OrchestratorOptions(maxConcurrentCalls, parkedRunsInMemory, defaultApprovalTimeout, planLimits, clock, planner, agents, models,
                    maxReplans, resultWriter, callMetrics, approvalPolicy, defaultToolTimeout, shards, openTelemetry, meterRegistry);
        }
    }
}
