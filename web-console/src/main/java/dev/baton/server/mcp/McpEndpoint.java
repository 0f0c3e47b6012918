package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.cluster.EventRelay;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.ticket.TicketService;
import dev.baton.server.ApiJson;
import dev.baton.server.Caller;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * Baton as an MCP server at {@code /mcp} (Streamable HTTP): the SDK's server
 * ({@link McpServer#async}) on Baton's Vert.x transport ({@link VertxMcpTransport}), with Baton's
 * tools ({@link BatonTools}), each run as the resource {@code baton://runs/{runId}} with
 * subscriptions, and approvals offered to clients that elicit ({@link RunWatch}). Callers are
 * the API's: the same bearer tokens and roles.
 */
public final class McpEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);
    public static final String PATH = VertxMcpTransport.PATH;

    private final VertxMcpTransport transport;
    private final McpAsyncServer server;
    private final RunWatch watch;
    private final BatonTools tools;

    /** What a tool creates, for the API's per-caller rate limits. */
    public enum Creates { RUN, TICKET }

    /** The API's rate limits: throws the API's 429 error when the caller is over its rate. */
    public interface Limits {
        void take(Creates what, Caller caller, String address);
    }

    /**
     * @param relay   on a node of a cluster, brings the events of runs other nodes own; null on one node
     * @param callers who made a request (the API's authentication ran before)
     */
    public McpEndpoint(Vertx vertx, Orchestrator orchestrator, TicketService tickets, PlaybookLibrary playbooks, EventRelay relay,
                       String version, Function<RoutingContext, Caller> callers) {
        McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
        this.watch = new RunWatch(vertx, orchestrator, relay);
        this.transport = new VertxMcpTransport(vertx, json, callers);
        watch.transport(transport);
        transport.listener(watch);
        this.tools = new BatonTools(orchestrator, tickets, playbooks, watch);
        this.server = McpServer.async(transport)
                .serverInfo("baton", version)
                .instructions("Baton runs goals as durable, approval-gated plans. Start one with start_run, follow it by"
                        + " subscribing to baton://runs/{runId} or with get_run, and decide what waits for a person with"
                        + " list_approvals and decide_approval.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(true, false).build())
                .jsonMapper(json)
                // Baton checks arguments itself (its JSON Schema validator), so that a refusal names the argument as the API does.
                .validateToolInputs(false)
                .tools(tools.all())
                .resourceTemplates(List.of(runResource(orchestrator)))
                .build();
    }

    /** Counts {@code start_run} and {@code create_ticket} against the API's limits on creating runs and tickets. */
    public void limits(Limits limits) {
        tools.limits(limits);
    }

    /** Routes {@code /mcp}; authentication, the JSON check and the body handler come before. */
    public void mount(Router router) {
        transport.mount(router);
    }

    private static McpServerFeatures.AsyncResourceTemplateSpecification runResource(Orchestrator orchestrator) {
        var template = new McpSchema.ResourceTemplate(RunWatch.RUN_URI + "{runId}", "run", "A Baton run",
                "The run as GET /api/runs/{id} shows it; subscribe to hear of each change.", "application/json", null, null, null);
        return new McpServerFeatures.AsyncResourceTemplateSpecification(template, (exchange, request) -> {
            String runId = RunWatch.runId(request.uri());
            if (runId == null) {
                return Mono.error(McpError.builder(McpSchema.ErrorCodes.RESOURCE_NOT_FOUND)
                        .message("not a run: " + request.uri() + " (runs are baton://runs/{runId})").build());
            }
            Caller caller = (Caller) exchange.transportContext().get(VertxMcpTransport.CALLER);
            return Mono.fromCompletionStage(orchestrator.run(runId).toCompletionStage())
                    .map(run -> new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(request.uri(),
                            "application/json", ApiJson.forCaller(caller, run).toString()))))
                    .onErrorMap(e -> {
                        ApiJson.Failure failure = ApiJson.failure(e);
                        int code = e instanceof BatonException b && b.kind() == BatonException.Kind.NOT_FOUND
                                ? McpSchema.ErrorCodes.RESOURCE_NOT_FOUND : McpSchema.ErrorCodes.INTERNAL_ERROR;
                        return McpError.builder(code).message(failure.message()).build();
                    });
        });
    }

    /** Open sessions (for tests and metrics). */
    public int sessions() {
        return transport.openSessions();
    }

    /** Runs some session follows (for tests of leaks). */
    int followedRuns() {
        return watch.followedRuns();
    }

    /** Ends every session (their streams end cleanly) and stops following runs. */
    @Override
    public void close() {
        try {
            server.closeGracefully().block(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            LOG.warn("the MCP sessions did not close cleanly: {}", e.toString());
        }
        watch.close();
    }
}
