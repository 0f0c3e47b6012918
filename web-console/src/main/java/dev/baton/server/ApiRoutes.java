package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.playbook.Playbook;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.agent.AgentSpec;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.cluster.ClusterNode;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.planning.FollowUp;
import dev.baton.runtime.event.Verdict;
import dev.baton.runtime.run.ApprovalStatus;
import dev.baton.runtime.run.RunStatus;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.mcp.McpServerSpec;
import dev.baton.tools.mcp.McpServerStatus;
import dev.baton.tools.mcp.McpTools;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/** The JSON routes of API v1: health, catalogue, runs and approvals. */
final class ApiRoutes {
    private final Orchestrator orchestrator;
    private final String version;
    private final ModelConfig model;
    private final PlaybookLibrary playbooks;
    private final AgentRegistry agents;

    /** This server's node of a cluster, or null on a single node (H2, memory). */
    private final ClusterNode cluster;

    /** The MCP servers Baton takes tools from, or null when none is configured. */
    private final McpTools mcpTools;

    /** BATON_ANSWER_CHAT_GOALS: see {@link #withAnswerOption}. */
    private boolean answerChatGoals = true;

    ApiRoutes(Orchestrator orchestrator, String version, ModelConfig model, PlaybookLibrary playbooks, AgentRegistry agents,
              ClusterNode cluster, McpTools mcpTools) {
        this.cluster = cluster;
        this.mcpTools = mcpTools;
        this.orchestrator = orchestrator;
        this.version = version;
        this.model = model;
        this.playbooks = playbooks;
        this.agents = agents;
    }

    void mount(Router router) {
        router.get("/api/health").handler(this::health);
        router.get("/api/cluster").handler(this::cluster);
        router.get("/api/me").handler(this::me);
        router.get("/api/tools").handler(this::tools);
        router.get("/api/mcp/servers").handler(this::mcpServers);
        router.get("/api/agents").handler(this::agents);
        router.get("/api/playbooks").handler(this::playbooks);

        router.post("/api/runs").handler(this::createRun);
        router.get("/api/runs").handler(this::listRuns);
        router.get("/api/runs/:id").handler(ctx -> reply(ctx, 200, orchestrator.run(ctx.pathParam("id"))));
        router.post("/api/runs/:id/cancel").handler(this::cancel);
        router.post("/api/runs/:id/messages").handler(this::message);
        router.post("/api/runs/:id/plan/approval").handler(this::planApproval);
        router.post("/api/runs/:id/tasks/:taskId/approval").handler(this::decide);
        router.post("/api/runs/:id/tasks/:taskId/retry").handler(this::retry);
        router.post("/api/runs/:id/compensation/retry").handler(this::retryCompensation);
        router.get("/api/approvals").handler(this::approvals);
    }

    /** Who the caller is and what roles they hold (any authenticated caller; without tokens, the local admin). */
    private void me(RoutingContext ctx) {
        Caller caller = Auth.caller(ctx);
        ObjectNode body = Json.object();
        body.put("name", caller.name());
        ArrayNode roles = body.putArray("roles");
        caller.roles().stream().sorted().forEach(role -> roles.add(role.name().toLowerCase(java.util.Locale.ROOT)));
        json(ctx, 200, body);
    }

    private void health(RoutingContext ctx) {
        ObjectNode body = Json.object();
        body.put("status", "UP");
        body.put("version", version);
        ObjectNode modelNode = body.putObject("model");
        modelNode.put("configured", model != null);
        if (model != null) {
            modelNode.put("name", model.model());
            modelNode.put("baseUrl", Redaction.url(model.baseUrl())); // never the user, password or query (a key) it may hold
        } else {
            modelNode.put("hint", dev.baton.plan.ModelHint.SET + " to let a model plan goals and run agent tasks;"
                    + " without one, goals are matched to playbooks");
        }
        body.put("playbooks", playbooks.size());
        body.put("journal", orchestrator.journal().getClass().getSimpleName());
        body.put("virtualThreads", orchestrator.usesVirtualThreads());
        java.util.Map<String, String> setAside = orchestrator.setAsideRuns();
        if (!setAside.isEmpty()) {
            // The server serves every other run; these wait for a person (see the log for why).
            ObjectNode aside = body.putObject("runsSetAside");
            setAside.forEach(aside::put);
        }
        body.putObject("cluster").put("nodes", cluster == null ? 1 : cluster.liveNodes());
        // Ready means the journal's database answers: without it no change can be made durable.
        orchestrator.pingJournal().onComplete(ping -> {
            boolean leased = cluster == null || cluster.healthy();
            body.put("ready", ping.succeeded() && leased);
            if (ping.succeeded() && !leased) {
                body.put("status", "DOWN");
                body.put("reason", "this node lost its cluster lease and is rejoining with a new epoch: its runs are taken over"
                        + " by the other nodes; it answers again in a few seconds");
                ctx.response().putHeader("Retry-After", "2");
                json(ctx, 503, body);
            } else if (ping.succeeded()) {
                json(ctx, 200, body);
            } else {
                body.put("status", "DOWN");
                body.put("reason", "the journal's database cannot be reached: " + ping.cause().getMessage());
                ctx.response().putHeader("Retry-After", "2");
                json(ctx, 503, body);
            }
        });
    }

    /** {@code GET /api/cluster}: this node and the live ones, with the unfinished runs each owns. */
    private void cluster(RoutingContext ctx) {
        if (cluster != null) {
            cluster.status().onComplete(status -> {
                if (status.succeeded()) json(ctx, 200, (ObjectNode) Json.toTree(status.result().encode() == null ? null
                        : io.vertx.core.json.Json.decodeValue(status.result().encode(), java.util.Map.class)));
                else ApiError.respond(ctx, status.cause());
            });
            return;
        }
        // A single node (H2 or memory): itself, epoch 0.
        ObjectNode body = Json.object();
        body.putObject("node").put("id", "local").put("epoch", 0).put("startedAt", STARTED_AT.toString());
        body.putArray("nodes").addObject().put("id", "local").put("epoch", 0).putNull("address").putNull("leaseUntil")
                .put("runs", orchestrator.metrics().runsInMemory()).put("self", true);
        json(ctx, 200, body);
    }

    private static final java.time.Instant STARTED_AT = java.time.Instant.now();

    private void agents(RoutingContext ctx) {
        ArrayNode list = Json.array();
        for (AgentSpec agent : agents.all()) {
            ObjectNode item = list.addObject();
            item.put("name", agent.name());
            item.put("description", agent.description());
            ArrayNode tools = item.putArray("tools");
            (agent.allTools() ? orchestrator.tools().names() : agent.tools()).forEach(tools::add);
            item.put("maxSteps", agent.limits().maxSteps());
            item.put("available", model != null);
        }
        json(ctx, 200, list);
    }

    private void playbooks(RoutingContext ctx) {
        ArrayNode list = Json.array();
        for (Playbook p : playbooks.all()) {
            ObjectNode item = list.addObject();
            item.put("name", p.name());
            item.put("description", p.description());
            item.put("tasks", p.plan().tasks().size());
            item.put("source", p.source());
            ArrayNode goals = item.putArray("goals");
            p.goals().forEach(goals::add);
            item.set("input", p.input());
        }
        json(ctx, 200, list);
    }

    /** Each configured MCP server: how it is reached (never its command line or headers: they may hold secrets) and its state. */
    private void mcpServers(RoutingContext ctx) {
        ArrayNode list = Json.array();
        if (mcpTools != null) {
            for (McpServerSpec spec : mcpTools.servers()) {
                McpServerStatus status = mcpTools.status(spec.name()).orElseThrow();
                ObjectNode server = list.addObject();
                server.put("name", spec.name());
                server.put("transport", spec.transport() instanceof McpServerSpec.Stdio ? "stdio" : "http");
                server.put("state", status.state().label());
                ArrayNode names = server.putArray("tools");
                status.tools().forEach(names::add);
                server.put("error", status.lastError());
                server.put("since", status.since() == null ? null : status.since().toString());
            }
        }
        send(ctx, 200, list);
    }

    private void tools(RoutingContext ctx) {
        ArrayNode list = Json.array();
        for (ToolDescriptor d : orchestrator.tools().descriptors()) {
            ObjectNode tool = list.addObject();
            tool.put("name", d.name());
            tool.put("description", d.description());
            tool.set("parameters", d.parameters());
            tool.put("idempotent", d.idempotent());
            tool.put("requiresApproval", d.requiresApproval());
            tool.put("timeout", d.timeoutOr(orchestrator.options().defaultToolTimeout()).toString());
            tool.put("maxAttempts", d.retry().maxAttempts());
            tool.put("source", d.source());
        }
        send(ctx, 200, list); // schemas, not values: a parameter named "password" is no secret
    }

    private void createRun(RoutingContext ctx) {
        Auth.require(ctx, Role.OPERATOR);
        ObjectNode body = Bodies.object(ctx);
        String goal = Bodies.string(body, "goal");
        ObjectNode input = Bodies.object(body, "input");
        ObjectNode plan = Bodies.object(body, "plan");
        ObjectNode options = Bodies.object(body, "options");
        // The marks and keys Baton gives the runs of tickets and triggers are not a client's to take.
        String misuse = Origin.marksMisused(options);
        if (misuse != null) throw ApiError.badRequest(misuse);
        ObjectNode requested = withAnswerOption(options);
        String key = ctx.request().getHeader("Idempotency-Key");
        if (key != null && (key.isBlank() || key.length() > 255)) {
            throw ApiError.badRequest("the Idempotency-Key header must hold 1 to 255 characters");
        }
        misuse = Origin.keyMisused(key);
        if (misuse != null) throw ApiError.badRequest(misuse);
        String continues = Bodies.string(body, FollowUp.LINK);
        if (continues != null && continues.isBlank()) throw ApiError.badRequest("field 'continues' must name a run");
        if (requested != null && (requested.has(FollowUp.LINK) || requested.has(FollowUp.PREVIOUS))) {
            throw ApiError.badRequest("options 'continues' and 'previous' are the server's: link a follow-up with the field 'continues'");
        }
        String hash = key == null ? null : ApiJson.sha256(body.toString());
        io.opentelemetry.context.Context trace = Telemetry.caller(ctx);
        // A follow-up names the finished run it continues: the link and a small summary of that run go into the options.
        Future<ObjectNode> linked = continues == null ? Future.succeededFuture(requested) : orchestrator.run(continues).recover(e -> Future.failedFuture(
                e instanceof dev.baton.runtime.BatonException b && b.kind() == dev.baton.runtime.BatonException.Kind.NOT_FOUND
                        ? new ApiError(404, "not_found", "field 'continues': there is no run '" + continues + "'") : e))
                .map(previous -> {
                    if (!FINISHED.contains(previous.path("status").asText())) {
                        throw new ApiError(409, "run_not_finished", "run '" + continues + "' has not finished: send it a message instead"
                                + " (POST /api/runs/" + continues + "/messages)");
                    }
                    return FollowUp.link(requested, previous);
                });
        Future<dev.baton.runtime.orchestrator.Submitted> answer = linked.compose(runOptions -> {
            RunRequest request = new RunRequest(goal, input, plan, runOptions, key, hash, Origin.CLIENT);
            try (var caller = trace.makeCurrent()) { // the run joins the caller's trace (traceparent)
                return orchestrator.submit(request);
            }
        });
        answer.onComplete(result -> {
            if (result.failed()) {
                ApiError.respond(ctx, result.cause());
                return;
            }
            var submitted = result.result();
            ctx.response().putHeader("Location", "/api/runs/" + submitted.runId());
            if (submitted.replayed()) ctx.response().putHeader("Idempotent-Replayed", "true");
            json(ctx, 201, submitted.run());
        });
    }

    /** The statuses a run ends in: only such a run can be continued by a new one. */
    private static final java.util.Set<String> FINISHED = java.util.Set.of("SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATION_FAILED");

    private void listRuns(RoutingContext ctx) {
        String status = ctx.request().getParam("status");
        if (status != null) {
            status = status.toUpperCase(Locale.ROOT);
            try {
                RunStatus.valueOf(status);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("query parameter 'status' must be one of " + java.util.Arrays.toString(RunStatus.values()));
            }
        }
        int limit = intParam(ctx, "limit", 50, 1, 500);
        String goal = ctx.request().getParam("goal");
        if (goal != null && goal.length() > RunQuery.MAX_GOAL_SEARCH) {
            throw ApiError.badRequest("query parameter 'goal' is at most " + RunQuery.MAX_GOAL_SEARCH + " characters, was " + goal.length());
        }
        RunQuery query = new RunQuery(status, goal, limit, ctx.request().getParam("cursor"));
        Future<dev.baton.runtime.journal.RunPage> answer = orchestrator.runs(query).recover(e -> Future.failedFuture(
                // The journal refuses a cursor it did not hand out: the client's mistake, not the server's.
                e instanceof IllegalArgumentException ? ApiError.badRequest("query parameter 'cursor': " + e.getMessage()) : e));
        reply(ctx, 200, answer.map(ApiJson::runPage));
    }

    private void cancel(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.OPERATOR);
        reply(ctx, 200, orchestrator.cancel(ctx.pathParam("id"), caller.name()));
    }

    /** A follow-up instruction: 202 once it is durable; the run then replans its unfinished part. */
    private void message(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.OPERATOR);
        ObjectNode body = Bodies.object(ctx);
        String text = Bodies.string(body, "text");
        if (text == null || text.isBlank()) throw ApiError.badRequest("field 'text' is required");
        reply(ctx, 202, orchestrator.message(ctx.pathParam("id"), text, caller.name()));
    }

    /**
     * The run's options with {@code answer} said: as the request gave it, else true for a goal typed in
     * the chat ({@code options.chat}) when BATON_ANSWER_CHAT_GOALS says so, else absent (no answer).
     * Kept in the run's options, so its journal says whether it asked, whatever the setting is later.
     */
    private ObjectNode withAnswerOption(ObjectNode options) {
        if (options == null) return null;
        for (String flag : new String[]{"answer", "chat"}) {
            JsonNode value = options.get(flag);
            if (value != null && !value.isNull() && !value.isBoolean()) {
                throw ApiError.badRequest("field 'options." + flag + "' must be a boolean (true or false), not " + Bodies.kind(value));
            }
        }
        JsonNode answer = options.get("answer");
        if ((answer == null || answer.isNull()) && options.path("chat").asBoolean(false) && answerChatGoals) {
            ObjectNode withAnswer = options.deepCopy();
            withAnswer.put("answer", true);
            return withAnswer;
        }
        return options;
    }

    /** Whether goals typed in the chat get an answer unless their request says otherwise (BATON_ANSWER_CHAT_GOALS). */
    ApiRoutes answerChatGoals(boolean value) {
        this.answerChatGoals = value;
        return this;
    }

    private void planApproval(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.APPROVER);
        ObjectNode body = Bodies.object(ctx);
        Verdict decision = verdict(body);
        ObjectNode plan = Bodies.object(body, "plan");
        String comment = Bodies.string(body, "comment");
        reply(ctx, 200, orchestrator.decidePlan(ctx.pathParam("id"), decision == Verdict.APPROVE, caller.name(), comment, plan));
    }

    private void decide(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.APPROVER);
        ObjectNode body = Bodies.object(ctx);
        Verdict decision = verdict(body);
        String comment = Bodies.string(body, "comment");
        JsonNode args = body.get("args");
        if (args != null && args.isNull()) args = null;
        if (args != null && !args.isObject()) throw ApiError.badRequest("field 'args' must be an object, not " + Bodies.kind(args));
        ApprovalDecision request = new ApprovalDecision(ctx.pathParam("id"), ctx.pathParam("taskId"), decision == Verdict.APPROVE,
                caller.name(), caller.admin(), comment, args);
        reply(ctx, 200, orchestrator.decide(request));
    }

    /** The body's {@code decision}: {@code approve} or {@code reject}. */
    private static Verdict verdict(ObjectNode body) {
        String decision = Bodies.string(body, "decision");
        try {
            return Verdict.ofWire(decision);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("field 'decision' must be \"approve\" or \"reject\"");
        }
    }

    private void retry(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.OPERATOR);
        reply(ctx, 200, orchestrator.retryTask(ctx.pathParam("id"), ctx.pathParam("taskId"), caller.name()));
    }

    /** A COMPENSATION_FAILED run tries its failed compensation again and unwinds on. */
    private void retryCompensation(RoutingContext ctx) {
        Caller caller = Auth.require(ctx, Role.OPERATOR);
        reply(ctx, 200, orchestrator.retryCompensation(ctx.pathParam("id"), caller.name()));
    }

    private void approvals(RoutingContext ctx) {
        String status = ctx.request().getParam("status");
        status = status == null ? "PENDING" : status.toUpperCase(Locale.ROOT);
        try {
            ApprovalStatus.valueOf(status);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("query parameter 'status' must be PENDING, APPROVED, REJECTED or EXPIRED");
        }
        // Each item names its run's goal, so a person sees what the decision is for.
        reply(ctx, 200, orchestrator.approvals(status).compose(list -> orchestrator.goals(
                list.stream().map(dev.baton.runtime.journal.ApprovalRecord::runId).distinct().toList())
                .map(goals -> ApiJson.approvals(list, goals))));
    }

    // ------------------------------------------------------------------ helpers

    private static <T extends JsonNode> void reply(RoutingContext ctx, int status, Future<T> answer) {
        answer.onComplete(result -> {
            if (result.succeeded()) json(ctx, status, result.result());
            else ApiError.respond(ctx, result.cause());
        });
    }

    /** Sends a JSON answer; a viewer gets it with credentials masked (see {@link Redaction}). */
    static void json(RoutingContext ctx, int status, JsonNode body) {
        send(ctx, status, Redaction.forCaller(Auth.caller(ctx), body));
    }

    private static void send(RoutingContext ctx, int status, JsonNode body) {
        if (ctx.response().ended()) return;
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .end(body.toString());
    }

    private static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
        String value = ctx.request().getParam(name);
        if (value == null) return fallback;
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("query parameter '" + name + "' must be a whole number from " + min + " to " + max);
        }
    }

}
