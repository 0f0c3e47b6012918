package dev.baton.server.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.RunEvent;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.NotificationOutbox;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunQuery;
import dev.baton.runtime.journal.RunRecord;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.server.notify.NotificationRules.On;
import dev.baton.server.notify.NotificationRules.Rule;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import dev.baton.tools.http.HttpRequestTool;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends the notifications of {@link NotificationRules}: watches the durable run events on
 * {@link Orchestrator#EVENTS_ADDRESS}, writes each notification once into the journal's
 * {@link NotificationOutbox} (unique per rule and event), and sends what the outbox holds through
 * the {@code http.request} tool, retrying with backoff.
 *
 * <p>It never blocks a run: the event-loop side only filters events and hands them to this
 * notifier's own thread, which does every database read and HTTP call. Events are published
 * only once durable, but a crash can fall between an event becoming durable and its
 * notification being stored; so at start the notifier catches up from the journal: pending
 * approvals, the events of unfinished runs (retries, SLA clocks, approval deadlines) and runs
 * that failed within {@link NotificationRules#catchUp()}; the outbox's key makes every repeat a
 * no-op. A crash between a webhook's answer and its message being marked sent sends it once
 * more, with the same {@code Idempotency-Key} ({@code baton-notification:<rule>:<event key>}),
 * so a receiver that honours the header sees it once.
 *
 * <p>Nodes that share a database share the outbox: every node's notifier stores what its own runs
 * call for, and sends whatever is due, each message only after claiming it
 * ({@link NotificationOutbox#claim}), so that one node sends it; a node that dies mid-send leaves it
 * to another once the claim's {@link #CLAIM_HOLD} is over.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    private static final int BATCH = 50;
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long a message claimed for sending is this notifier's: well past a send's timeout, so that no
     * other node sends it meanwhile; if this node dies mid-send, another sends it once the hold is over.
     */
    static final Duration CLAIM_HOLD = SEND_TIMEOUT.multipliedBy(3);

    private final Vertx vertx;
    private final Journal journal;
    private final NotificationOutbox outbox;
    private final BatonTool http;
    private final NotificationRules rules;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private MessageConsumer<RunEvent> consumer;

    // Owned by the notifier's thread.
    /** Pending approvals with a deadline, for approval_expiring rules. */
    private final Map<String, Pending> approvals = new HashMap<>();
    /** Unfinished runs and when they started, for run_sla rules. */
    private final Map<String, Instant> runStarts = new HashMap<>();
    private final Map<String, String> goals = new HashMap<>();
    /**
     * Time-based messages already stored (rule, then key), so that later checks do not ask the
     * outbox again each time; forgotten with their run.
     */
    private final java.util.Set<String> timedDone = new java.util.HashSet<>();

    private final LongAdder sent = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final LongAdder givenUp = new LongAdder();

    private record Pending(String runId, String taskId, String title, String tool, Instant requestedAt, Instant expiresAt) {
        String key() {
            return runId + "/" + taskId + "/" + requestedAt.toEpochMilli();
        }
    }

    private Notifier(Vertx vertx, Journal journal, BatonTool http, NotificationRules rules, Clock clock) {
        this.vertx = vertx;
        this.journal = journal;
        this.outbox = journal.outbox();
        this.http = http;
        this.rules = rules;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "baton-notifier");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts watching and sending. Call after the orchestrator has recovered.
     *
     * @param http  the registry's {@code http.request} tool (its allowlist, its idempotency header)
     * @param clock when messages are due and sent: the orchestrator's ({@code OrchestratorOptions.clock()})
     */
    public static Notifier start(Vertx vertx, Journal journal, BatonTool http, NotificationRules rules, Clock clock) {
        if (!HttpRequestTool.NAME.equals(http.descriptor().name())) throw new IllegalArgumentException("notifications go through http.request");
        Notifier n = new Notifier(vertx, journal, http, rules, clock);
        n.consumer = vertx.eventBus().localConsumer(Orchestrator.EVENTS_ADDRESS, message -> {
            RunEvent event = message.body();
            if (n.relevant(event.data())) n.thread.execute(() -> n.guard(() -> n.onEvent(event, false)));
        });
        n.thread.execute(() -> n.guard(n::catchUp));
        long every = rules.checkEvery().toMillis();
        n.thread.scheduleWithFixedDelay(() -> n.guard(n::tick), every, every, TimeUnit.MILLISECONDS);
        return n;
    }

    public long sent() { return sent.sum(); }
    public long failedAttempts() { return failedAttempts.sum(); }
    public long givenUp() { return givenUp.sum(); }
    public NotificationOutbox outbox() { return outbox; }

    private void guard(Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            LOG.warn("notifications: {}", e.toString());
        }
    }

    /** On the event loop: only what some rule needs goes to the notifier's thread. */
    private boolean relevant(EventData data) {
        if (data instanceof EventData.ApprovalRequested) return rules.any(On.APPROVAL_WAITING) || rules.any(On.APPROVAL_EXPIRING);
        if (data instanceof EventData.ApprovalDecided || data instanceof EventData.ApprovalExpired
                || data instanceof EventData.ApprovalEscalated || data instanceof EventData.TaskCancelled) {
            return rules.any(On.APPROVAL_EXPIRING);
        }
        if (data instanceof EventData.RunFailed) return rules.any(On.RUN_FAILED) || rules.any(On.RUN_SLA) || rules.any(On.APPROVAL_EXPIRING);
        if (data instanceof EventData.RunSucceeded || data instanceof EventData.RunCancelled) {
            return rules.any(On.RUN_SLA) || rules.any(On.APPROVAL_EXPIRING);
        }
        if (data instanceof EventData.RunCreated) return rules.any(On.RUN_SLA);
        if (data instanceof EventData.TaskAttemptFailed f) return f.retryAt() != null && rules.any(On.TASK_RETRIED);
        return false;
    }

    /** One durable event; {@code replay} while catching up from the journal (approvals then come from the inbox). */
    private void onEvent(RunEvent event, boolean replay) {
        EventData data = event.data();
        String runId = event.runId();
        if (data instanceof EventData.RunCreated created) {
            runStarts.put(runId, event.at());
            goals.put(runId, created.goal());
        } else if (data instanceof EventData.ApprovalRequested r) {
            Pending p = new Pending(runId, r.taskId(), r.title(), r.tool(), event.at(), r.expiresAt());
            approvals.remove(runId + "/" + r.taskId());
            if (r.expiresAt() != null && rules.any(On.APPROVAL_EXPIRING)) approvals.put(runId + "/" + r.taskId(), p);
            if (!replay) approvalWaiting(p);
        } else if (data instanceof EventData.TaskEvent task && (data instanceof EventData.ApprovalDecided
                || data instanceof EventData.ApprovalExpired || data instanceof EventData.ApprovalEscalated
                || data instanceof EventData.TaskCancelled)) {
            approvals.remove(runId + "/" + task.taskId());
        } else if (data instanceof EventData.TaskAttemptFailed f && f.retryAt() != null) {
            for (Rule rule : rules.rules()) {
                if (rule.on() == On.TASK_RETRIED && f.attempt() > rule.moreThan()) {
                    String text = "Task *" + slack(f.taskId()) + "* of run " + slack(runId) + " has been retried " + f.attempt()
                            + " time" + (f.attempt() == 1 ? "" : "s") + " (more than " + rule.moreThan() + "): "
                            + slack(f.error() == null ? "" : f.error().code() + ": " + f.error().message());
                    ObjectNode details = Json.object();
                    details.put("retries", f.attempt());
                    if (f.error() != null) details.put("errorCode", f.error().code()).put("error", f.error().message());
                    details.put("nextAttemptAt", f.retryAt().toString());
                    enqueue(rule, runId + "/" + f.taskId(), text, runId, f.taskId(), details);
                }
            }
        } else if (data instanceof EventData.RunFailed failed) {
            runFinished(runId);
            runFailed(runId, event.seq(), failed.error());
        } else if (data instanceof EventData.RunSucceeded || data instanceof EventData.RunCancelled) {
            runFinished(runId);
        }
        if (!replay) sendDue();
    }

    private void runFinished(String runId) {
        runStarts.remove(runId);
        goals.remove(runId);
        approvals.keySet().removeIf(k -> k.startsWith(runId + "/"));
        timedDone.removeIf(k -> k.substring(k.indexOf('\u0000') + 1).startsWith(runId + "/") || k.endsWith('\u0000' + runId));
    }

    /** Whether this time-based message is new to this notifier (the outbox still dedupes across restarts). */
    private boolean firstTime(Rule rule, String key) {
        return timedDone.add(rule.name() + '\u0000' + key);
    }

    private void approvalWaiting(Pending p) {
        for (Rule rule : rules.rules()) {
            if (rule.on() != On.APPROVAL_WAITING) continue;
            String text = "Approval needed: *" + slack(p.title() == null ? p.taskId() : p.title()) + "* (run " + slack(p.runId())
                    + ", task " + slack(p.taskId()) + (p.tool() == null ? "" : ", tool " + slack(p.tool())) + ")"
                    + (p.expiresAt() == null ? "" : "; it expires at " + p.expiresAt());
            enqueue(rule, p.key(), text, p.runId(), p.taskId(), approvalDetails(p));
        }
    }

    private static ObjectNode approvalDetails(Pending p) {
        ObjectNode details = Json.object();
        if (p.title() != null) details.put("title", p.title());
        if (p.tool() != null) details.put("tool", p.tool());
        details.put("requestedAt", p.requestedAt().toString());
        if (p.expiresAt() != null) details.put("expiresAt", p.expiresAt().toString());
        return details;
    }

    private void runFailed(String runId, long seq, EventData.Failure error) {
        if (!rules.any(On.RUN_FAILED)) return;
        String goal = journal.run(runId).map(RunRecord::goal).orElse(null);
        for (Rule rule : rules.rules()) {
            if (rule.on() != On.RUN_FAILED) continue;
            String text = "Run " + slack(runId) + " failed" + (goal == null ? "" : " (goal: " + slack(goal) + ")") + ": "
                    + slack(error == null ? "no reason given" : error.message());
            ObjectNode details = Json.object();
            if (goal != null) details.put("goal", goal);
            if (error != null) details.put("errorCode", error.code()).put("error", error.message());
            enqueue(rule, runId + "/" + seq, text, runId, null, details);
        }
    }

    /** The time-based rules, then whatever is due. */
    private void tick() {
        Instant now = clock.instant();
        for (Rule rule : rules.rules()) {
            if (rule.on() == On.APPROVAL_EXPIRING) {
                for (Pending p : approvals.values()) {
                    if (p.expiresAt() != null && !now.isBefore(p.expiresAt().minus(rule.before())) && now.isBefore(p.expiresAt())
                            && firstTime(rule, p.key())) {
                        String text = "Approval expires in " + human(Duration.between(now, p.expiresAt())) + ": *"
                                + slack(p.title() == null ? p.taskId() : p.title()) + "* (run " + slack(p.runId()) + ", task " + slack(p.taskId()) + ")";
                        enqueue(rule, p.key(), text, p.runId(), p.taskId(), approvalDetails(p));
                    }
                }
            } else if (rule.on() == On.RUN_SLA) {
                for (Map.Entry<String, Instant> run : runStarts.entrySet()) {
                    if (!now.isBefore(run.getValue().plus(rule.after())) && firstTime(rule, run.getKey())) {
                        String goal = goals.get(run.getKey());
                        String text = "Run " + slack(run.getKey()) + " is still unfinished " + human(Duration.between(run.getValue(), now))
                                + " after it started (SLA " + human(rule.after()) + ")" + (goal == null ? "" : "; goal: " + slack(goal));
                        ObjectNode details = Json.object();
                        details.put("startedAt", run.getValue().toString());
                        details.put("sla", rule.after().toString());
                        if (goal != null) details.put("goal", goal);
                        enqueue(rule, run.getKey(), text, run.getKey(), null, details);
                    }
                }
            }
        }
        sendDue();
    }

    /** After a start: whatever a crash may have kept from the outbox. */
    private void catchUp() {
        if (!(journal instanceof dev.baton.runtime.journal.JdbcJournal jdbc && jdbc.shared())) {
            // The only sender of this outbox (H2, memory): what it claimed before it died is its own, due now, not after the hold.
            outbox.dueNow(clock.instant());
        }
        journal.forEachEventOfUnfinishedRuns(event -> onEvent(event, true));
        if (rules.any(On.APPROVAL_WAITING)) {
            for (ApprovalRecord a : journal.approvals("PENDING")) {
                approvalWaiting(new Pending(a.runId(), a.taskId(), a.title(), a.tool(), a.requestedAt(), a.expiresAt()));
            }
        }
        if (rules.any(On.RUN_FAILED)) {
            Instant since = clock.instant().minus(rules.catchUp());
            String cursor = null;
            do {
                RunPage page = journal.runs(new RunQuery("FAILED", 100, cursor));
                boolean older = false;
                for (RunRecord run : page.runs()) {
                    if (run.updatedAt().isBefore(since)) {
                        older = true;
                        continue;
                    }
                    List<RunEvent> events = journal.events(run.id(), 0);
                    for (int i = events.size() - 1; i >= 0; i--) {
                        if (events.get(i).data() instanceof EventData.RunFailed f) {
                            runFailed(run.id(), events.get(i).seq(), f.error());
                            break;
                        }
                    }
                }
                cursor = older ? null : page.next();
            } while (cursor != null);
        }
        sendDue();
    }

    private void enqueue(Rule rule, String eventKey, String text, String runId, String taskId, ObjectNode details) {
        if (outbox.find(rule.name(), eventKey).isPresent()) return;
        ObjectNode body = Json.object();
        String link = rules.consoleUrl() == null ? null : rules.consoleUrl() + "/runs/" + java.net.URLEncoder.encode(runId, java.nio.charset.StandardCharsets.UTF_8);
        body.put("text", link == null ? text : text + " <" + link + "|open the run>");
        ObjectNode baton = body.putObject("baton");
        baton.put("rule", rule.name());
        baton.put("event", rule.on().wire());
        baton.put("key", eventKey);
        baton.put("runId", runId);
        if (taskId != null) baton.put("taskId", taskId);
        if (link != null) baton.put("link", link);
        baton.put("at", clock.instant().toString());
        baton.set("details", details);
        outbox.add(rule.name(), eventKey, rule.webhook().toString(), Json.write(body), clock.instant());
    }

    /** Sends what is due, oldest first; one at a time, on this thread. */
    private void sendDue() {
        for (int round = 0; round < 20; round++) {
            List<NotificationOutbox.Message> due = outbox.due(clock.instant(), BATCH);
            if (due.isEmpty()) return;
            for (NotificationOutbox.Message m : due) send(m);
            if (due.size() < BATCH) return;
        }
    }

    private void send(NotificationOutbox.Message m) {
        // Another node's notifier may have taken it since it was listed: only the one whose claim succeeds sends it.
        if (!outbox.claim(m, clock.instant().plus(CLAIM_HOLD))) return;
        int attempt = m.attempts() + 1;
        String key = "baton-notification:" + m.rule() + ":" + m.eventKey();
        ObjectNode args = Json.object();
        args.put("method", "POST");
        args.put("url", m.url());
        args.putObject("headers").put("Content-Type", "application/json");
        JsonNode body;
        try {
            body = Json.parse(m.body());
        } catch (Exception e) {
            outbox.failed(m.rule(), m.eventKey(), attempt, "unreadable body: " + e.getMessage());
            givenUp.increment();
            return;
        }
        args.set("body", body);
        args.put("timeout", SEND_TIMEOUT.toString());
        Instant now = clock.instant();
        try {
            http.call(args, new ToolContext("notification", m.rule(), attempt, key, now.plus(SEND_TIMEOUT)));
            outbox.sent(m.rule(), m.eventKey(), attempt, clock.instant());
            sent.increment();
        } catch (Exception e) {
            failedAttempts.increment();
            boolean retryable = !(e instanceof ToolException te) || te.retryable();
            String reason = e instanceof ToolException te ? te.code() + ": " + te.getMessage() : e.toString();
            if (!retryable || attempt >= rules.retry().maxAttempts()) {
                outbox.failed(m.rule(), m.eventKey(), attempt, reason);
                givenUp.increment();
                LOG.warn("notification {} of rule '{}' given up after {} attempt(s): {}", m.eventKey(), m.rule(), attempt, reason);
            } else {
                Duration wait = rules.retry().backoff(attempt);
                if (e instanceof ToolException te && te.retryAfter() != null && te.retryAfter().compareTo(wait) > 0) {
                    wait = te.retryAfter().compareTo(rules.retry().maxBackoff()) > 0 ? rules.retry().maxBackoff() : te.retryAfter();
                }
                outbox.retryLater(m.rule(), m.eventKey(), attempt, clock.instant().plus(wait), reason);
            }
        }
    }

    /** Slack's mrkdwn treats &, < and > as markup: untrusted text (goals, errors) is escaped. */
    static String slack(String text) {
        if (text == null) return "";
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String human(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) return s + "s";
        if (s < 7200) return (s / 60) + "m " + (s % 60) + "s";
        return (s / 3600) + "h " + (s % 3600 / 60) + "m";
    }

    @Override
    public void close() {
        if (consumer != null) consumer.unregister();
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
