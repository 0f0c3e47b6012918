package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.ticket.TicketJson;
import dev.baton.runtime.ticket.TicketService;
import dev.baton.server.ApiJson;
import dev.baton.server.Caller;
import dev.baton.server.Role;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.vertx.core.Future;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * Baton's MCP tools. Each does what its HTTP route does, through the same runtime call
 * ({@link Orchestrator#submit}, {@link Orchestrator#decide}, {@link TicketService#create}...), with
 * the same role, the same answer (masked for viewers) and the same error codes. A refusal (a role
 * the caller lacks, an argument that breaks the input schema, anything the runtime refuses) is a
 * tool error ({@code isError}) that says why, and changes nothing.
 */
final class BatonTools {
    private final Orchestrator orchestrator;
    private final TicketService tickets;
    private final PlaybookLibrary playbooks;
    private final RunWatch watch;
    private volatile McpEndpoint.Limits limits = (what, caller, address) -> { };

    BatonTools(Orchestrator orchestrator, TicketService tickets, PlaybookLibrary playbooks, RunWatch watch) {
        this.orchestrator = orchestrator;
        this.tickets = tickets;
        this.playbooks = playbooks;
        this.watch = watch;
    }

    /** What a tool does with the caller and its (schema-checked) arguments. */
    private interface Action extends BiFunction<Call, ObjectNode, Future<? extends JsonNode>> {
    }

    /** One call: who, from where, in which session. */
    record Call(Caller caller, String address, String sessionId) {
    }

    void limits(McpEndpoint.Limits limits) {
        this.limits = limits;
    }

    List<AsyncToolSpecification> all() {
        return List.of(
                tool("start_run", "Start a run", "Starts a run for a goal: with a plan it runs as given; with a playbook it follows"
                                + " that playbook; else Baton plans it (a model, or the closest playbook). Answers the run at once;"
                                + " read it with get_run or subscribe to its resource baton://runs/{runId}.",
                        Role.OPERATOR, BatonToolSchemas.START_RUN_IN, BatonToolSchemas.RUN, annotations(false, false, false, true), this::startRun),
                tool("get_run", "Read a run", "The run as GET /api/runs/{id} shows it: status, plan, each task's state, output and approval.",
                        Role.VIEWER, BatonToolSchemas.GET_RUN_IN, BatonToolSchemas.RUN, readOnly(),
                        (call, args) -> orchestrator.run(args.path("runId").asText())),
                tool("list_runs", "List runs", "Runs, newest first, optionally of one status; pass 'next' back as 'cursor' for the next page.",
                        Role.VIEWER, BatonToolSchemas.LIST_RUNS_IN, BatonToolSchemas.RUN_PAGE, readOnly(), this::listRuns),
                tool("list_approvals", "List approvals", "Tasks waiting for a person's decision (status PENDING unless given), across runs.",
                        Role.VIEWER, BatonToolSchemas.LIST_APPROVALS_IN, BatonToolSchemas.APPROVALS, readOnly(),
                        (call, args) -> orchestrator.approvals(args.path("status").asText("PENDING"))
                                .compose(list -> orchestrator.goals(list.stream().map(dev.baton.runtime.journal.ApprovalRecord::runId).distinct().toList())
                                        .map(goals -> (JsonNode) Json.object().set("approvals", ApiJson.approvals(list, goals))))),
                tool("decide_approval", "Decide an approval", "Approves or rejects a task waiting for approval, recorded as your decision"
                                + " (as in the console). Approving lets the task run; rejecting skips it and what depends on it.",
                        Role.APPROVER, BatonToolSchemas.DECIDE_IN, BatonToolSchemas.TASK, annotations(false, true, true, false), this::decide),
                tool("create_ticket", "Create a ticket", "Submits a support ticket; triage (classify, route, deliver) continues in the"
                                + " background. A repeated externalId or idempotencyKey never creates a second ticket.",
                        Role.OPERATOR, BatonToolSchemas.CREATE_TICKET_IN, BatonToolSchemas.TICKET, annotations(false, false, false, true), this::createTicket),
                tool("get_ticket", "Read a ticket", "The ticket as GET /api/tickets/{id} shows it: category, priority, queue, review and run.",
                        Role.VIEWER, BatonToolSchemas.GET_TICKET_IN, BatonToolSchemas.TICKET, readOnly(),
                        (call, args) -> tickets.get(args.path("ticketId").asText(), Duration.ZERO)
                                .map(t -> (JsonNode) TicketJson.of(t, Instant.now(), tickets.triage().table()))));
    }

    // ------------------------------------------------------------------ the actions

    private Future<JsonNode> startRun(Call call, ObjectNode args) {
        JsonNode plan = args.get("plan");
        String playbook = args.path("playbook").asText(null);
        if (plan != null && playbook != null) throw refused("playbook", "give 'plan' or 'playbook', not both");
        if (playbook != null && playbooks.find(playbook).isEmpty()) {
            throw refused("playbook", "there is no playbook '" + playbook + "'; the playbooks are "
                    + playbooks.all().stream().map(p -> p.name()).collect(Collectors.joining(", ")));
        }
        String key = args.path("idempotencyKey").asText(null);
        String misuse = Origin.keyMisused(key);
        if (misuse != null) throw refused("idempotencyKey", misuse);
        limits.take(McpEndpoint.Creates.RUN, call.caller(), call.address());
        ObjectNode options = playbook == null ? null : Json.object().put("planner", "playbook").put("playbook", playbook);
        RunRequest request = new RunRequest(args.path("goal").asText(), args.get("input"), plan, options, key,
                key == null ? null : ApiJson.sha256(args.toString()), Origin.CLIENT);
        return orchestrator.submit(request).map(submitted -> {
            watch.started(call.sessionId(), submitted.runId());
            return submitted.run();
        });
    }

    private Future<JsonNode> listRuns(Call call, ObjectNode args) {
        int limit = args.path("limit").asInt(50);
        RunQuery query = new RunQuery(args.path("status").asText(null), limit, args.path("cursor").asText(null));
        return orchestrator.runs(query)
                .recover(e -> Future.failedFuture(e instanceof IllegalArgumentException ? refused("cursor", e.getMessage()) : e))
                .map(ApiJson::runPage);
    }

    private Future<JsonNode> decide(Call call, ObjectNode args) {
        boolean approve = args.path("decision").asText().equals("approve");
        return orchestrator.decide(new ApprovalDecision(args.path("runId").asText(), args.path("taskId").asText(), approve,
                call.caller().name(), call.caller().admin(), args.path("comment").asText(null), null)).map(task -> task);
    }

    private Future<JsonNode> createTicket(Call call, ObjectNode args) {
        String subject = args.path("subject").asText(null);
        String body = args.path("body").asText(null);
        int length = (subject == null ? 0 : subject.length()) + (body == null ? 0 : body.length());
        if (length > TicketService.MAX_TEXT_CHARS) {
            throw refused("body", "subject and body hold " + length + " characters; the limit is " + TicketService.MAX_TEXT_CHARS);
        }
        limits.take(McpEndpoint.Creates.TICKET, call.caller(), call.address());
        var ticket = new TicketService.NewTicket(subject, body, args.get("customer"), args.path("channel").asText(null),
                args.path("externalId").asText(null));
        return tickets.create(ticket, args.path("idempotencyKey").asText(null), Duration.ZERO)
                .map(created -> TicketJson.of(created.ticket(), Instant.now(), tickets.triage().table()));
    }

    // ------------------------------------------------------------------ the frame every tool shares

    private AsyncToolSpecification tool(String name, String title, String description, Role role, String input, String output,
                                               McpSchema.ToolAnnotations annotations, Action action) {
        ObjectNode inputSchema = BatonToolSchemas.parse(input);
        McpSchema.Tool tool = McpSchema.Tool.builder().name(name).title(title)
                .description(description + (role == Role.VIEWER ? "" : " Needs the " + role.name().toLowerCase(Locale.ROOT) + " role."))
                .inputSchema(Json.MAPPER.convertValue(inputSchema, MAP))
                .outputSchema(Json.MAPPER.convertValue(BatonToolSchemas.parse(output), MAP))
                .annotations(annotations)
                .build();
        return AsyncToolSpecification.builder().tool(tool)
                .callHandler((exchange, request) -> Mono.defer(() -> handle(name, role, inputSchema, action, exchange, request)))
                .build();
    }

    private Mono<CallToolResult> handle(String name, Role role, ObjectNode inputSchema, Action action,
                                               McpAsyncServerExchange exchange, McpSchema.CallToolRequest request) {
        Caller caller = (Caller) exchange.transportContext().get(VertxMcpTransport.CALLER);
        if (caller == null) return Mono.just(error("unauthorized", "no caller: call through /mcp with a bearer token"));
        if (!caller.may(role)) {
            return Mono.just(error("forbidden", name + " needs the " + role.name().toLowerCase(Locale.ROOT) + " role; '" + caller.name()
                    + "' holds " + caller.roles().stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().collect(Collectors.joining(", "))
                    + ". Nothing was changed."));
        }
        ObjectNode args = request.arguments() == null ? Json.object() : Json.MAPPER.valueToTree(request.arguments());
        List<SchemaViolation> violations = JsonSchemaValidator.validate(inputSchema, args);
        if (!violations.isEmpty()) {
            return Mono.just(error("bad_request", violations.stream().map(BatonTools::describe).collect(Collectors.joining("; "))
                    + ". Nothing was changed."));
        }
        Future<? extends JsonNode> answer;
        try {
            answer = action.apply(new Call(caller, (String) exchange.transportContext().get(VertxMcpTransport.ADDRESS),
                    exchange.sessionId()), args);
        } catch (RuntimeException e) {
            answer = Future.failedFuture(e);
        }
        return Mono.fromCompletionStage(answer.toCompletionStage())
                .map(json -> ok(ApiJson.forCaller(caller, json)))
                .onErrorResume(e -> {
                    ApiJson.Failure failure = ApiJson.failure(e);
                    return Mono.just(error(failure.code(), failure.message()));
                });
    }

    /** A violation as the tool's caller reads it: {@code argument 'goal': ...}. */
    private static String describe(SchemaViolation v) {
        String path = v.path().equals(JsonSchemaValidator.ROOT) ? "" : v.path().substring(JsonSchemaValidator.ROOT.length() + 1);
        return path.isEmpty() ? "arguments: " + v.message() : "argument '" + path + "': " + v.message();
    }

    /** A refusal of one argument, as the API refuses a field: 400 bad_request, naming it. */
    private static dev.baton.runtime.BatonException refused(String argument, String why) {
        return new dev.baton.runtime.BatonException(dev.baton.runtime.BatonException.Kind.INVALID, "bad_request",
                "argument '" + argument + "': " + why);
    }

    private static CallToolResult ok(JsonNode json) {
        return CallToolResult.builder()
                .structuredContent(Json.MAPPER.convertValue(json, MAP))
                .content(List.of(new McpSchema.TextContent(json.toString())))
                .isError(false)
                .build();
    }

    private static CallToolResult error(String code, String message) {
        return CallToolResult.builder().content(List.of(new McpSchema.TextContent(code + ": " + message))).isError(true).build();
    }

    private static McpSchema.ToolAnnotations readOnly() {
        return new McpSchema.ToolAnnotations(null, true, false, true, false, null);
    }

    private static McpSchema.ToolAnnotations annotations(boolean readOnly, boolean destructive, boolean idempotent, boolean openWorld) {
        return new McpSchema.ToolAnnotations(null, readOnly, destructive, idempotent, openWorld, null);
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP = new com.fasterxml.jackson.core.type.TypeReference<>() {
    };
}
