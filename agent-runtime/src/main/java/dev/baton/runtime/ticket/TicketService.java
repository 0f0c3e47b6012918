package dev.baton.runtime.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.plan.PlanValidator;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.RuntimeCatalog;
import dev.baton.runtime.agent.AgentRegistry;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.TicketIndex;
import dev.baton.runtime.journal.TicketPage;
import dev.baton.runtime.journal.TicketQuery;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.runtime.orchestrator.ApprovalDecision;
import dev.baton.runtime.orchestrator.ApprovalPolicy;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.tools.ToolRegistry;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketText;
import dev.baton.triage.Triage;
import dev.baton.triage.TriageTools;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Tickets as a resource over runs: each ticket is triaged by a run of the triage playbook
 * (classify, route, deliver; the user's own when configured), and the journal keeps a projection
 * of every ticket ({@code baton_tickets}) in the same transaction as the run's events, so getting
 * and listing tickets never replays a run.
 *
 * <ul>
 *   <li>{@link #create}: never two tickets for one {@code externalId} or one {@code Idempotency-Key}
 *       (they become the run's idempotency key, which the journal keeps unique).</li>
 *   <li>{@link #route}: a person confirms or corrects. A ticket awaiting review has its route step
 *       approved with the chosen category (and queue); a routed or failed one is re-routed by a new
 *       run of route and deliver. The decision is kept durably (the route step's output marks it
 *       {@code confirmed}, and the projection keeps it as a labelled example) and taught to the
 *       classifier at once; {@link #loadExamples} teaches them all again after a restart.</li>
 *   <li>Several nodes on one database: each node's classifier learns what people decided through the
 *       others too. After {@link #loadExamples}, every {@value #LEARN_EVERY_MS} ms the node reads the
 *       confirmed tickets updated since it last looked (one indexed query, nothing when there is nothing
 *       new) and teaches the decisions it does not know yet.</li>
 * </ul>
 *
 * <p>Every method returns a Vert.x future; journal reads run on worker threads.
 */
public final class TicketService implements AutoCloseable {

    /** The built-in triage playbook: classify, route (reviewed when unsure), deliver. */
    public static final String BUILTIN_PLAYBOOK = "/dev/baton/runtime/ticket/triage-playbook.json";
    /** Subject plus body longer than this is refused (413 in the API). */
    public static final int MAX_TEXT_CHARS = 64 * 1024;

    /** How often a node looks for decisions made through other nodes. */
    static final long LEARN_EVERY_MS = 2000;
    /**
     * How far back each look reaches before the newest update it saw: a ticket row's update time is its
     * owner node's clock, and a row may commit a little after a later-stamped one; the decisions known
     * already are skipped.
     */
    static final long LEARN_OVERLAP_MS = 5 * 60_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private final Vertx vertx;
    private final Orchestrator orchestrator;
    private final TicketIndex tickets;
    private final Triage triage;
    private final JsonNode playbook;
    private final Map<String, List<Promise<Void>>> waiters = new ConcurrentHashMap<>();
    private final MessageConsumer<RunEvent> consumer;
    /** The decisions this node's classifier was taught, by ticket: the category, and the row's update time. */
    private final Map<String, Learned> learned = new ConcurrentHashMap<>();
    /** The newest update time of a confirmed ticket seen. */
    private volatile Instant newestSeen = Instant.EPOCH;
    private final java.util.concurrent.atomic.AtomicBoolean looking = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long learnTimer = -1;

    private record Learned(String category, Instant updatedAt) {
    }

    /**
     * @param tickets  the tickets projection of the orchestrator's journal
     * @param playbook the triage plan, already {@linkplain #checkPlaybook checked}
     */
    public TicketService(Vertx vertx, Orchestrator orchestrator, TicketIndex tickets, Triage triage, JsonNode playbook) {
        this.vertx = vertx;
        this.orchestrator = orchestrator;
        this.tickets = tickets;
        this.triage = triage;
        this.playbook = playbook;
        // Events are published once durable, and the ticket projection is written in the same
        // transaction: when a run's triage settles here, its ticket row already says so.
        this.consumer = vertx.eventBus().<RunEvent>consumer(Orchestrator.EVENTS_ADDRESS, message -> {
            RunEvent event = message.body();
            if (waiters.isEmpty() || !settles(event.data())) return;
            List<Promise<Void>> list = waiters.remove(event.runId());
            if (list != null) list.forEach(Promise::tryComplete);
        });
    }

    /** The approval policy that gates a {@code tickets.route} step when its triage is unsure or a review rule matches. */
    public static ApprovalPolicy reviewPolicy(Triage triage) {
        // Until the threshold is known (a run recovered at its route step), everything is reviewed.
        return ApprovalPolicy.forTool(TriageTools.ROUTE, task -> task.args() != null && task.args().hasNonNull("reviewedBy")
                && !personsReroute(task.origin())
                // The policy only sees steps no person has decided yet, so a reviewer here was written by a plan;
                // only the run a person's correction starts (reroute) carries its reviewer in its plan.
                ? "the step names a reviewer ('reviewedBy'), which only a person's decision sets: a person must confirm it"
                : TriageTools.reviewReason(triage, task.args(), triage.thresholdNow(1.0)));
    }

    /** Whether the run is the one {@link #route} starts for a person's correction of a routed ticket. */
    private static boolean personsReroute(Origin origin) {
        return origin instanceof Origin.Ticket ticket && ticket.action() == Origin.TicketAction.REROUTE;
    }

    // ------------------------------------------------------------------ the playbook

    /** The built-in triage playbook's plan. */
    public static JsonNode builtinPlaybook() {
        try (InputStream in = TicketService.class.getResourceAsStream(BUILTIN_PLAYBOOK)) {
            return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the built-in triage playbook " + BUILTIN_PLAYBOOK + " cannot be read", e);
        }
    }

    /** Reads a user's triage playbook: a plan JSON file, or a playbook file whose {@code plan} is one. */
    public static JsonNode readPlaybook(Path file) {
        try {
            JsonNode node = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (node != null && node.has("plan") && !node.has("tasks")) node = node.get("plan");
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read as JSON: " + e.getMessage());
        }
    }

    /**
     * Checks a triage plan against the tools (as the orchestrator would at submit) and that it
     * triages: some step must use {@code tickets.classify} or set the ticket's category otherwise,
     * and a {@code tickets.route} step must exist for reviews and corrections.
     *
     * @throws IllegalArgumentException naming the task and field at fault
     */
    public static void checkPlaybook(JsonNode plan, ToolRegistry tools, AgentRegistry agents, boolean modelConfigured) {
        List<PlanProblem> problems;
        Plan parsed;
        try {
            parsed = PlanParser.parse(plan);
            problems = new PlanValidator(RuntimeCatalog.of(tools, agents, modelConfigured)).validate(parsed);
        } catch (PlanException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(new PlanException(problems).getMessage());
        boolean routes = parsed.tasks().stream().anyMatch(t -> t.action() instanceof dev.baton.plan.TaskAction.ToolCall call
                && TriageTools.ROUTE.equals(call.tool()));
        if (!routes) {
            throw new IllegalArgumentException("the triage playbook has no task with tool '" + TriageTools.ROUTE
                    + "': reviews and corrections approve that step");
        }
    }

    // ------------------------------------------------------------------ tickets

    /** A posted ticket. {@code customer} may be null. */
    public record NewTicket(String subject, String body, JsonNode customer, String channel, String externalId) {
    }

    /** The answer to {@link #create}: the ticket, and whether an earlier request had created it. */
    public record Created(TicketRecord ticket, boolean replayed) {
    }

    /**
     * Creates a ticket and starts its triage, or returns the ticket an earlier request with the same
     * {@code externalId} (else {@code idempotencyKey}) created. Waits up to {@code wait} (may be
     * zero) for the triage to settle (routed, waiting for review, or failed).
     */
    public Future<Created> create(NewTicket t, String idempotencyKey, Duration wait) {
        String subject = t.subject() == null ? "" : t.subject().strip();
        String body = t.body() == null ? "" : t.body().strip();
        if (subject.isEmpty() && body.isEmpty()) {
            return Future.failedFuture(new BatonException(Kind.UNPROCESSABLE, "ticket_empty",
                    "the ticket has neither a subject nor a body: there is nothing to triage"));
        }
        Instant now = orchestrator.options().clock().instant(); // the runs' clock: a ticket's id and receipt agree with its run's times
        String id = "t_" + Long.toString(now.toEpochMilli(), 36) + random(10);
        ObjectNode input = Json.object();
        input.put("ticketId", id);
        input.put("subject", subject);
        input.put("body", body);
        if (t.customer() != null && !t.customer().isNull()) input.set("customer", t.customer());
        if (t.channel() != null) input.put("channel", t.channel());
        if (t.externalId() != null) input.put("externalId", t.externalId());
        input.put("receivedAt", now.toString());
        String key = t.externalId() != null ? Origin.TICKET_KEYS + "external:" + t.externalId()
                : idempotencyKey != null ? Origin.TICKET_KEYS + "key:" + idempotencyKey : null;
        String goal = "Triage ticket: " + abbreviate(subject.isEmpty() ? body : subject, 100);
        // No request hash: a repeated externalId returns its ticket even when the rest of the body differs.
        return orchestrator.submit(new RunRequest(goal, input, playbook, ticketOptions(), key, null,
                new Origin.Ticket(id, Origin.TicketAction.CREATE))).compose(submitted -> {
            String ticketId = submitted.run().path("input").path("ticketId").asText(id);
            return settle(ticketId, submitted.runId(), wait).map(ticket -> new Created(ticket, submitted.replayed()));
        });
    }

    /** The ticket. Fails with NOT_FOUND. */
    public Future<TicketRecord> get(String id) {
        return blocking(() -> tickets.ticket(id)
                .orElseThrow(() -> BatonException.notFound("ticket", id)));
    }

    /** The ticket once its triage settles or {@code wait} ends, whichever is first. */
    public Future<TicketRecord> get(String id, Duration wait) {
        if (wait.isZero()) return get(id);
        return get(id).compose(t -> settle(t.id(), t.runId(), wait));
    }

    /** A ticket and the events of its triage run, for its detail ({@link TicketDetail}). */
    public record Detail(TicketRecord ticket, List<RunEvent> events) {
    }

    /** The ticket (once settled or {@code wait} ends) and its triage run's events. */
    public Future<Detail> detail(String id, Duration wait) {
        return get(id, wait).compose(t -> orchestrator.events(t.runId(), 0).map(events -> new Detail(t, events)));
    }

    /** A page of tickets, newest first. A bad cursor fails with IllegalArgumentException. */
    public Future<TicketPage> list(TicketQuery query) {
        return blocking(() -> tickets.tickets(query));
    }

    /**
     * A person confirms or corrects a ticket's triage.
     *
     * @param queue   another queue than the category's own, or null
     * @param by      who decided (from their credentials)
     * @param admin   whether they are an admin (for escalated approvals)
     * @param wait    how long to wait for the ticket to settle again
     */
    public Future<TicketRecord> route(String id, String category, String queue, String comment, String by, boolean admin,
                                      Duration wait) {
        RoutingTable table = triage.table();
        if (category == null || !table.categories().contains(category)) {
            return Future.failedFuture(new BatonException(Kind.UNPROCESSABLE, "unknown_category", "category '" + category
                    + "' is not in the routing table; GET /api/routing lists the categories"));
        }
        if (queue != null && table.queue(queue).isEmpty()) {
            return Future.failedFuture(new BatonException(Kind.UNPROCESSABLE, "unknown_queue", "queue '" + queue
                    + "' is not in the routing table; the queues are " + table.queues().stream()
                    .map(RoutingTable.Queue::name).collect(Collectors.joining(", "))));
        }
        return get(id).compose(ticket -> {
            ObjectNode args = Json.object();
            args.put("category", category);
            if (queue != null) args.put("queue", queue);
            if (ticket.confidence() != null) args.put("confidence", ticket.confidence());
            args.put("method", category.equals(ticket.category()) && queue == null ? "confirmation" : "correction");
            args.put("receivedAt", ticket.createdAt().toString());
            args.put("reviewedBy", by);
            if (comment != null) args.put("comment", comment);
            Future<String> decided;
            switch (ticket.status()) {
                case "AWAITING_APPROVAL" -> decided = approveRoute(ticket, args, by, admin, comment);
                case "ROUTED", "FAILED" -> decided = reroute(ticket, args);
                default -> decided = Future.failedFuture(BatonException.conflict("ticket '" + id + "' is still being triaged;"
                        + " confirm or correct it once it is AWAITING_APPROVAL or ROUTED"));
            }
            // Durable already (the approval or the new run is in the journal); the classifier learns it now.
            return decided.compose(runId -> blocking(() -> {
                triage.learn(new TicketText(ticket.subject(), ticket.body()), category);
                learned.put(ticket.id(), new Learned(category, Instant.EPOCH)); // known here: the next look does not teach it again
                return runId;
            })).compose(runId -> settle(ticket.id(), runId, wait));
        });
    }

    /**
     * Teaches the classifier every confirmation and correction kept in the journal; call once at start.
     * From then on, the decisions made through other nodes sharing the database are taught as they
     * come (looked for every {@value #LEARN_EVERY_MS} ms, until {@link #close}).
     */
    public Future<Integer> loadExamples() {
        return blocking(() -> {
            List<TicketRecord> confirmed = tickets.confirmedTickets();
            for (TicketRecord t : confirmed) teach(t);
            return confirmed.size();
        }).onSuccess(n -> {
            if (learnTimer < 0) learnTimer = vertx.setPeriodic(LEARN_EVERY_MS, id -> learnFromOthers());
        });
    }

    /** One look for decisions this node does not know yet; skipped while the previous one runs. */
    private void learnFromOthers() {
        if (!looking.compareAndSet(false, true)) return;
        blocking(() -> {
            Instant since = newestSeen.minusMillis(LEARN_OVERLAP_MS);
            int taught = 0;
            for (TicketRecord t : tickets.confirmedTicketsSince(since)) {
                Learned known = learned.get(t.id());
                if (known == null || !known.category().equals(t.confirmedCategory())) taught++;
                teach(t);
            }
            // What fell out of the window is not read again (unless updated again): forget it.
            learned.values().removeIf(l -> l.updatedAt().isAfter(Instant.EPOCH) && l.updatedAt().isBefore(since));
            return taught;
        }).onComplete(done -> {
            looking.set(false);
            if (done.failed()) org.slf4j.LoggerFactory.getLogger(TicketService.class)
                    .warn("could not look for ticket decisions made through other nodes, will look again: {}", done.cause().toString());
        });
    }

    /** Teaches a confirmed ticket's decision unless the classifier knows it already. */
    private void teach(TicketRecord t) {
        Learned known = learned.get(t.id());
        if (known == null || !known.category().equals(t.confirmedCategory())) {
            triage.learn(new TicketText(t.subject(), t.body()), t.confirmedCategory());
        }
        learned.put(t.id(), new Learned(t.confirmedCategory(), t.updatedAt()));
        if (t.updatedAt().isAfter(newestSeen)) newestSeen = t.updatedAt();
    }

    public Triage triage() {
        return triage;
    }

    @Override
    public void close() {
        if (learnTimer >= 0) vertx.cancelTimer(learnTimer);
        consumer.unregister();
    }

    // ------------------------------------------------------------------ inside

    /** Approves the ticket run's waiting route step with the person's arguments; the run id. */
    private Future<String> approveRoute(TicketRecord ticket, ObjectNode args, String by, boolean admin, String comment) {
        return orchestrator.run(ticket.runId()).compose(run -> {
            String taskId = null;
            for (JsonNode task : run.path("tasks").isArray() ? run.path("tasks") : run.path("plan").path("tasks")) {
                if ("WAITING_APPROVAL".equals(task.path("status").asText()) && TriageTools.ROUTE.equals(task.path("tool").asText())) {
                    taskId = task.path("id").asText();
                }
            }
            if (taskId == null) {
                return Future.failedFuture(BatonException.conflict("ticket '" + ticket.id()
                        + "' waits for an approval of another step than routing; decide it in the approvals inbox"));
            }
            return orchestrator.decide(new ApprovalDecision(ticket.runId(), taskId, true, by, admin, comment, args))
                    .map(task -> ticket.runId());
        });
    }

    /** Routes a routed (or failed) ticket again, by a new run of route and deliver; the new run's id. */
    private Future<String> reroute(TicketRecord ticket, ObjectNode args) {
        ObjectNode input = Json.object();
        input.put("ticketId", ticket.id());
        input.put("subject", ticket.subject());
        input.put("body", ticket.body());
        if (ticket.customer() != null) input.set("customer", ticket.customer());
        if (ticket.channel() != null) input.put("channel", ticket.channel());
        if (ticket.externalId() != null) input.put("externalId", ticket.externalId());
        input.put("receivedAt", ticket.createdAt().toString());
        ObjectNode plan = Json.object();
        var tasks = plan.putArray("tasks");
        ObjectNode route = tasks.addObject();
        route.put("id", "route");
        route.put("title", "Route to a queue (corrected by a person)");
        route.put("tool", TriageTools.ROUTE);
        route.set("args", args);
        ObjectNode deliver = tasks.addObject();
        deliver.put("id", "deliver");
        deliver.put("title", "Deliver to the queue's webhook");
        deliver.put("tool", TriageTools.DELIVER);
        deliver.putObject("args").put("ticket", "${input}").put("route", "${route.output}");
        return orchestrator.submit(new RunRequest("Re-route ticket " + ticket.id(), input, plan, ticketOptions(), null, null,
                new Origin.Ticket(ticket.id(), Origin.TicketAction.REROUTE)))
                .map(submitted -> submitted.runId());
    }

    /**
     * A ticket run's options: {@code planner: playbook}, so that a failed step (a delivery) fails the
     * ticket, for a person to retry or re-route, instead of a model replanning it. Its origin adds
     * the {@code ticket} mark.
     */
    private static ObjectNode ticketOptions() {
        return Json.object().put("planner", "playbook");
    }

    /** Whether an event ends the wait of {@code ?wait=}: the ticket is routed, failed, or waits for a person. */
    private static boolean settles(EventData data) {
        return data instanceof EventData.RunSucceeded || data instanceof EventData.RunFailed
                || data instanceof EventData.RunCancelled || data instanceof EventData.ApprovalRequested;
    }

    /** The ticket once its run settles or the wait ends. */
    private Future<TicketRecord> settle(String ticketId, String runId, Duration wait) {
        if (wait == null || wait.isZero() || wait.isNegative()) return get(ticketId);
        Promise<Void> settled = Promise.promise();
        // Listen first, then look: an event between the two is not missed.
        waiters.computeIfAbsent(runId, r -> new CopyOnWriteArrayList<>()).add(settled);
        long timer = vertx.setTimer(Math.max(1, wait.toMillis()), t -> settled.tryComplete());
        return get(ticketId).compose(ticket -> {
            if (!ticket.status().equals("TRIAGING") || !ticket.runId().equals(runId)) {
                settled.tryComplete();
                return Future.succeededFuture(ticket);
            }
            return settled.future().compose(v -> get(ticketId));
        }).onComplete(done -> {
            vertx.cancelTimer(timer);
            List<Promise<Void>> list = waiters.get(runId);
            if (list != null) {
                list.remove(settled);
                if (list.isEmpty()) waiters.remove(runId, list);
            }
        });
    }

    /** Journal reads and the classifier (which embeds a text in tens of milliseconds) run off the event loop. */
    private <T> Future<T> blocking(java.util.concurrent.Callable<T> body) {
        return vertx.executeBlocking(body, false);
    }

    private static String random(int n) {
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) out.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        return out.toString();
    }

    private static String abbreviate(String text, int max) {
        String line = text.replaceAll("\\s+", " ");
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }
}
