package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.runtime.cluster.EventRelay;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.server.Caller;
import dev.baton.server.Role;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What MCP sessions follow of runs: the runs a session subscribed to ({@code resources/subscribe}
 * of {@code baton://runs/{runId}}) hear {@code notifications/resources/updated} at each of their
 * events, and the runs it subscribed to or started offer their approvals to a client that
 * declared {@code elicitation}, when the session's caller may decide them.
 *
 * <p>It listens where the event streams listen: the event bus, where every durable event of a
 * run this node owns is published, and where {@link EventRelay} publishes those of runs other
 * nodes own while someone here watches them. All state lives on one context.
 *
 * <p>An approval is offered once per session (again after the session's listening stream
 * reopens, if the client never answered). An accepted answer is decided as the console decides:
 * {@link Orchestrator#decide} with the session's caller. Declined, cancelled or unanswered, the
 * approval stays pending; decided by someone else first, the late answer is refused by the
 * orchestrator (409) and changes nothing.
 */
final class RunWatch implements VertxMcpTransport.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(RunWatch.class);
    static final String RUN_URI = "baton://runs/";

    private final Orchestrator orchestrator;
    private final EventRelay relay;
    private final Context context;
    private volatile MessageConsumer<RunEvent> consumer;
    private VertxMcpTransport transport;

    /** On {@link #context} only. */
    private final Map<String, Follower> sessions = new HashMap<>();
    /** Changed on {@link #context} only (concurrent so that its size may be read anywhere): the sessions that follow each run. */
    private final Map<String, Set<String>> byRun = new java.util.concurrent.ConcurrentHashMap<>();
    /** On {@link #context} only: the runs this node asked the relay for. */
    private final Set<String> relayed = new HashSet<>();

    /** One session's interest. */
    private static final class Follower {
        final Caller caller;
        final boolean elicits;
        final Set<String> started = new HashSet<>();
        final Set<String> subscribed = new HashSet<>();
        /** {@code runId/taskId} of the approvals offered and not answered yet. */
        final Set<String> offered = new HashSet<>();

        Follower(Caller caller, boolean elicits) {
            this.caller = caller;
            this.elicits = elicits;
        }

        boolean follows(String runId) {
            return started.contains(runId) || subscribed.contains(runId);
        }
    }

    RunWatch(Vertx vertx, Orchestrator orchestrator, EventRelay relay) {
        this.orchestrator = orchestrator;
        this.relay = relay;
        this.context = vertx.getOrCreateContext();
        // Registered on the context, so that the events are heard where the state lives.
        context.runOnContext(v -> consumer = vertx.eventBus().localConsumer(Orchestrator.EVENTS_ADDRESS, message -> heard(message.body())));
    }

    void transport(VertxMcpTransport transport) {
        this.transport = transport;
    }

    // ------------------------------------------------------------------ the transport's news

    @Override
    public void opened(String sessionId, Caller caller, McpSchema.ClientCapabilities capabilities) {
        boolean elicits = capabilities != null && capabilities.elicitation() != null
                && (capabilities.elicitation().form() != null || capabilities.elicitation().url() == null);
        context.runOnContext(v -> sessions.put(sessionId, new Follower(caller, elicits)));
    }

    @Override
    public void request(String sessionId, McpSchema.JSONRPCRequest request) {
        boolean subscribe = McpSchema.METHOD_RESOURCES_SUBSCRIBE.equals(request.method());
        if (!subscribe && !McpSchema.METHOD_RESOURCES_UNSUBSCRIBE.equals(request.method())) return;
        String runId = runId(request.params() instanceof Map<?, ?> params ? String.valueOf(params.get("uri")) : null);
        if (runId == null) return;
        context.runOnContext(v -> {
            Follower follower = sessions.get(sessionId);
            if (follower == null) return;
            if (subscribe) {
                follower.subscribed.add(runId);
                follow(sessionId, runId);
            } else {
                follower.subscribed.remove(runId);
                if (!follower.follows(runId)) unfollow(sessionId, runId);
            }
        });
    }

    @Override
    public void listening(String sessionId) {
        context.runOnContext(v -> {
            Follower follower = sessions.get(sessionId);
            if (follower == null || !follower.elicits) return;
            for (String runId : follower.started) offerPending(sessionId, runId);
            for (String runId : follower.subscribed) if (!follower.started.contains(runId)) offerPending(sessionId, runId);
        });
    }

    @Override
    public void closed(String sessionId) {
        context.runOnContext(v -> {
            Follower follower = sessions.remove(sessionId);
            if (follower == null) return;
            Set<String> runs = new HashSet<>(follower.started);
            runs.addAll(follower.subscribed);
            for (String runId : runs) unfollow(sessionId, runId);
        });
    }

    /** A run started through the session (by start_run). */
    void started(String sessionId, String runId) {
        context.runOnContext(v -> {
            Follower follower = sessions.get(sessionId);
            if (follower == null) return;
            follower.started.add(runId);
            follow(sessionId, runId);
        });
    }

    /** The number of runs followed by any session (for tests of leaks). */
    int followedRuns() {
        return byRun.size();
    }

    // ------------------------------------------------------------------ following runs, on the context

    private void follow(String sessionId, String runId) {
        boolean first = !byRun.containsKey(runId);
        byRun.computeIfAbsent(runId, id -> new HashSet<>()).add(sessionId);
        if (first && relay != null) {
            // Another node may own the run: the relay brings its events here after the last one the run shows now.
            orchestrator.run(runId).onComplete(run -> context.runOnContext(x -> {
                if (byRun.containsKey(runId) && run.succeeded() && relayed.add(runId)) relay.watch(runId, run.result().path("lastSeq").asLong());
            }));
        }
        offerPending(sessionId, runId);
    }

    private void unfollow(String sessionId, String runId) {
        Set<String> followers = byRun.get(runId);
        if (followers == null) return;
        followers.remove(sessionId);
        if (followers.isEmpty()) {
            byRun.remove(runId);
            if (relayed.remove(runId)) relay.unwatch(runId);
        }
    }

    private void heard(RunEvent event) {
        Set<String> followers = byRun.get(event.runId());
        if (followers == null) return;
        var updated = new McpSchema.ResourcesUpdatedNotification(RUN_URI + event.runId());
        for (String sessionId : Set.copyOf(followers)) {
            Follower follower = sessions.get(sessionId);
            if (follower == null) continue;
            if (follower.subscribed.contains(event.runId())) {
                transport.notifyClient(sessionId, McpSchema.METHOD_NOTIFICATION_RESOURCES_UPDATED, updated)
                        .subscribe(null, e -> LOG.debug("MCP session {}: update of {} not sent: {}", sessionId, updated.uri(), e.toString()));
            }
            if (event.data() instanceof EventData.ApprovalRequested asked && follower.caller.may(Role.APPROVER)) {
                offer(sessionId, follower, event.runId(), asked.taskId(), asked.title(), asked.tool(), asked.args());
            } else if (event.data() instanceof EventData.ApprovalEscalated escalated && follower.caller.admin()) {
                offer(sessionId, follower, event.runId(), escalated.taskId(), null, null, null);
            }
            if (event.data() instanceof EventData.ApprovalDecided decided) follower.offered.remove(event.runId() + "/" + decided.taskId());
            if (finished(event) && follower.started.remove(event.runId()) && !follower.follows(event.runId())) {
                unfollow(sessionId, event.runId()); // a run it only started, now over: nothing more to offer
            }
        }
    }

    private static boolean finished(RunEvent event) {
        EventData data = event.data();
        return data instanceof EventData.RunSucceeded || data instanceof EventData.RunFailed || data instanceof EventData.RunCancelled;
    }

    /** The approvals the run waits for now, offered to the session (they may predate its interest). */
    private void offerPending(String sessionId, String runId) {
        Follower follower = sessions.get(sessionId);
        if (follower == null || !follower.elicits || !follower.caller.may(Role.APPROVER)) return;
        orchestrator.run(runId).onSuccess(run -> context.runOnContext(v -> {
            for (JsonNode task : run.path("plan").path("tasks")) {
                JsonNode approval = task.path("approval");
                if (!"WAITING_APPROVAL".equals(task.path("status").asText()) || !"PENDING".equals(approval.path("status").asText())) continue;
                if (approval.path("escalated").asBoolean() && !follower.caller.admin()) continue;
                offer(sessionId, follower, runId, task.path("id").asText(), task.path("title").asText(null), task.path("tool").asText(null),
                        task.get("args"));
            }
        }));
    }

    // ------------------------------------------------------------------ elicitation

    private void offer(String sessionId, Follower follower, String runId, String taskId, String title, String tool, JsonNode args) {
        if (!follower.elicits) return;
        String key = runId + "/" + taskId;
        if (!follower.offered.add(key)) return;
        McpStreamableServerSession session = transport.session(sessionId);
        if (session == null) {
            follower.offered.remove(key);
            return;
        }
        String message = "Run " + runId + " waits for your approval of task '" + taskId + "'"
                + (title == null || title.isBlank() ? "" : " (" + title + ")")
                + (tool == null ? "" : ": it calls " + tool + (args == null || args.isNull() ? "" : " with " + args))
                + ". Approve or reject it; your answer is recorded as " + follower.caller.name() + "'s decision.";
        var request = new McpSchema.ElicitFormRequest(message, Json.MAPPER.convertValue(BatonToolSchemas.parse(BatonToolSchemas.DECISION_FORM), MAP),
                Map.of("dev.baton/approval", Map.of("runId", runId, "taskId", taskId)));
        session.sendRequest(McpSchema.METHOD_ELICITATION_CREATE, request, new TypeRef<McpSchema.ElicitResult>() {
        }).subscribe(
                result -> answered(follower, runId, taskId, result),
                e -> context.runOnContext(v -> {
                    // No listening stream yet, or it closed: offered again when one opens.
                    LOG.debug("MCP session {}: approval {} not offered: {}", sessionId, key, e.toString());
                    follower.offered.remove(key);
                }));
    }

    private void answered(Follower follower, String runId, String taskId, McpSchema.ElicitResult result) {
        context.runOnContext(v -> follower.offered.remove(runId + "/" + taskId));
        if (result.action() != McpSchema.ElicitResult.Action.ACCEPT || result.content() == null) return; // still pending
        Object decision = result.content().get("decision");
        if (!"approve".equals(decision) && !"reject".equals(decision)) {
            LOG.info("an elicited decision on {}/{} by '{}' was neither approve nor reject ({}); the approval stays pending",
                    runId, taskId, follower.caller.name(), decision);
            return;
        }
        Object comment = result.content().get("comment");
        orchestrator.decide(new ApprovalDecision(runId, taskId, "approve".equals(decision), follower.caller.name(), follower.caller.admin(),
                        comment instanceof String text && !text.isBlank() ? text : null, null))
                .onFailure(e -> LOG.info("the elicited decision on {}/{} by '{}' was not recorded: {}", runId, taskId,
                        follower.caller.name(), e.getMessage()));
    }

    /** The run id of {@code baton://runs/{runId}}, or null. */
    static String runId(String uri) {
        if (uri == null || !uri.startsWith(RUN_URI)) return null;
        String id = uri.substring(RUN_URI.length());
        return id.isEmpty() || id.contains("/") || id.contains("?") || id.contains("#") ? null : id;
    }

    void close() {
        context.runOnContext(v -> {
            if (consumer != null) consumer.unregister();
        });
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP = new com.fasterxml.jackson.core.type.TypeReference<>() {
    };
}
