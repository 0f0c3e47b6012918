package dev.baton.runtime.trigger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.plan.PlanWriter;
import dev.baton.plan.playbook.Playbook;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.runtime.BatonException;
import dev.baton.runtime.ContextCalls;
import dev.baton.runtime.event.Origin;
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.metrics.Meters;
import io.micrometer.core.instrument.Timer;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import dev.baton.runtime.run.RunStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Schedules and event triggers: runs that start without anyone posting them.
 *
 * <h2>Exactly once</h2>
 * Every firing starts its run through {@link Orchestrator#submit} with a deterministic
 * idempotency key: {@code trigger:<name>@<scheduled instant>} for a schedule,
 * {@code trigger:<name>:event:<event id>} for an event (its signed {@code webhook-id}). The journal makes that key
 * unique and durable, so the same firing made twice (after a crash and restart, by two threads,
 * or by two servers on one database) returns the run the first one created (a replay, not
 * counted as a second {@code started}).
 *
 * <p>A schedule firing is <em>claimed</em> durably before its run is submitted: the timer moves its
 * time from {@code nextFireAt} into the trigger's {@code pending} times ({@link FiringState}), and
 * the firing is submitted only once a save holding that claim has committed. Claim saves go at
 * once, not spaced: all claims made while one save runs are committed together by the next
 * (group commit, one {@link TriggerStore#saveStates} transaction); a failed claim save is retried
 * and its firings wait. A time leaves {@code pending} when its run is durable or its firing is
 * over otherwise (skipped by overlap, submission failed for good); that, and the counters and
 * {@code lastRunId}, are saved lazily, at most every {@value #FLUSH_SPACING_MS} ms. So after a
 * crash a pending time is a firing that began while the server was up: it is fired again, whatever
 * the catch-up policy, and fires exactly once thanks to the idempotency key.
 *
 * <h2>Several nodes</h2>
 * Nodes that share a PostgreSQL journal share the triggers, and every node's scheduler has every
 * schedule in its timer: whichever node's claim of a due time commits first fires it, the others
 * lose the claim ({@link TriggerStore#claim}: a compare-and-set of the stored next time) and take the
 * stored next time instead. A claimed time is held by its node while it lives (renewed every
 * {@value #REFRESH_MS} ms, for {@value #CLAIM_LEASE_MS} ms); a node that died with firings claimed and
 * not finished leaves them to be taken over and fired again by another (a replay if the run is
 * durable), and a node that stops cleanly lets go of them at once. Every {@value #REFRESH_MS} ms each
 * node also reloads the definitions if another node created, paused, resumed or deleted one (one read
 * of a counter when none did). On H2 and memory (one process) none of this runs: at start every
 * pending time is the node's own from before the restart.
 *
 * <h2>One timer</h2>
 * All state lives on one Vert.x context. The due times of all schedules sit in one priority
 * queue, and one Vert.x timer is armed for the earliest; when it fires, every schedule that is
 * due fires and the timer is armed again. 10,000 schedules cost one timer, not 10,000.
 *
 * <h2>Catch-up and overlap</h2>
 * At start, the pending times (claimed before the restart) are fired again first, through the
 * overlap policy, whatever the catch-up policy; then what {@link CatchUp} says of the times missed
 * while the server was down. A schedule that is merely late while running fires late, never skips.
 * A firing that finds the previous firing's run still going is dropped ({@code skip}), held until
 * that run finishes ({@code queue}; up to {@value #MAX_QUEUED}; queued times stay pending, so they
 * come back queued after a crash), or fired anyway ({@code allow}). Paused triggers do not fire,
 * and pausing drops the queued firings; resuming fires from the next time after now.
 */
public final class Triggers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Triggers.class);
    static final int MAX_QUEUED = 100;
    static final long FLUSH_SPACING_MS = 1000;
    /** How often a node on a shared store renews its claims, takes over lapsed ones and looks for definition changes. */
    static final long REFRESH_MS = 1000;
    /** How long a node's claim of a firing holds without renewal: how long a dead node's firings wait for another. */
    static final long CLAIM_LEASE_MS = 5000;
    /** A run id that is not known yet: a firing is being submitted. */
    private static final String SUBMITTING = "";
    /** The key a stranger's event is checked with when its trigger has no secret or does not exist: matches nothing. */
    private static final byte[] DECOY_KEY = new java.security.SecureRandom().generateSeed(32);
    private static final com.fasterxml.jackson.databind.ObjectReader STRICT =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** What a benchmark or a metric sees of each schedule firing. Times in epoch milliseconds. */
    public record Firing(String trigger, long scheduledAtMs, long dispatchedAtMs, long durableAtMs, String runId) {
    }

    /** The answer to an event: the run it started, or the one an earlier event with the same id started. */
    public record EventOutcome(String runId, boolean duplicate) {
    }

    private final Vertx vertx;
    private final Context context;
    private final Orchestrator orchestrator;
    private final TriggerStore store;
    private final PlaybookLibrary playbooks;
    private final WorkerExecutor io;
    /** The only time source: due times, catch-up, receipt times, save spacing. Vert.x timers get delays computed from it. */
    private final Clock clock;
    private final Signatures signatures;
    /** This scheduler's name in the claims it holds: new at every start. */
    private final String node = "triggers-" + java.util.UUID.randomUUID();
    /** Whether other processes share the store (nodes on PostgreSQL): claims are renewed and definitions reloaded. */
    private volatile boolean shared;
    /** The store's definition change counter when the definitions were last loaded. */
    private long seenChanges;
    private boolean refreshing;

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Set<String> creating = new HashSet<>();
    private final PriorityQueue<DueTime> wheel = new PriorityQueue<>();
    private long timerId = -1;
    private long timerAtMs = Long.MAX_VALUE;
    private final Set<String> dirty = new HashSet<>();
    /** Pending times no longer pending here (fired, skipped, dropped), not saved yet: by trigger. */
    private final Map<String, Set<Instant>> done = new HashMap<>();
    /** Firings claimed (in their entry's pending set) and not yet in a save that committed. */
    private List<Claim> claims = new ArrayList<>();
    /** After a failed claim save: when to try again. */
    private long claimRetryAtMs;
    /** A claim, or a progress save, is being written. */
    private boolean claiming;
    private boolean saving;
    private boolean flushTimerArmed;
    private long lastFlushEndMs;
    private volatile boolean closed;
    private volatile Consumer<Firing> firingListener = f -> {
    };
    /** Due time of a schedule firing to the tick that claims it: whether the scheduler keeps up. */
    private final Timer dispatchLateness;
    /** A firing taken up (claimed, or drained from its queue) to its run durable: the claim's save and the submit. */
    private final Timer startSeconds;

    private static final class Entry {
        final TriggerSpec spec;
        final Schedule schedule;
        boolean paused;
        /** The next time not yet claimed (schedules); not yet in the past by more than the timer's lateness. */
        Instant next;
        Instant lastFiredAt;
        String lastRunId;
        /** The run of the newest firing, while it runs (tracked only when overlap is not {@code allow}). */
        String running;
        /** Firings held by overlap {@code queue}, oldest first; each also in {@link #pending}. */
        final Deque<Instant> queued = new ArrayDeque<>();
        /** Times claimed and not finished: waiting for their claim save, being submitted, or queued. */
        final TreeSet<Instant> pending = new TreeSet<>();
        /** Bumped by pause, resume and delete: a due time of an older generation is stale. */
        long generation;
        long started;
        long skipped;
        long failed;
        /** When it fires, in words (see {@link CronDescription}). */
        final String description;

        Entry(TriggerSpec spec, boolean paused, FiringState state) {
            this.spec = spec;
            this.schedule = spec.timing();
            this.description = spec.schedule() != null ? spec.schedule().description() : "when an event is posted to it";
            this.paused = paused;
            this.next = state.nextFireAt();
            this.lastFiredAt = state.lastFiredAt();
            this.lastRunId = state.lastRunId();
            this.pending.addAll(state.pending());
        }

        TriggerSpec.Overlap overlap() {
            return spec.schedule() == null ? TriggerSpec.Overlap.ALLOW : spec.schedule().overlap();
        }
    }

    /**
     * Firings claimed by the timer or the catch-up, submitted once the store said the claim is this
     * scheduler's: it moves the stored next time from {@code seenNext} to {@code newNext} and holds {@code times}.
     */
    private record Claim(Entry entry, long generation, Instant seenNext, Instant newNext, List<Instant> times,
                         long dispatchedAtMs, boolean catchUp) {
        TriggerStore.ClaimRequest request() {
            return new TriggerStore.ClaimRequest(entry.spec.name(), seenNext, newNext, times);
        }
    }

    /** What a start read from the store. */
    private record Loaded(boolean shared, long changes, List<StoredTrigger> triggers, Map<String, List<Instant>> taken) {
    }

    private Triggers(Vertx vertx, Orchestrator orchestrator, TriggerStore store, PlaybookLibrary playbooks, Clock clock) {
        this.vertx = vertx;
        this.clock = clock;
        this.signatures = new Signatures(clock);
        this.context = vertx.getOrCreateContext();
        this.orchestrator = orchestrator;
        var registry = orchestrator.options().meterRegistry();
        this.dispatchLateness = Meters.timer(registry, "baton.trigger.dispatch.lateness",
                "A schedule firing's due time to the scheduler taking it up.");
        this.startSeconds = Meters.timer(registry, "baton.trigger.start",
                "A schedule firing taken up to its run durable (the claim's save and the submit).");
        this.store = store;
        this.playbooks = playbooks;
        this.io = vertx.createSharedWorkerExecutor("baton-triggers", 2);
    }

    /**
     * Loads the stored triggers, fires what the catch-up policies say of the times missed while
     * down, and starts the schedules. Start it after the orchestrator has recovered.
     *
     * @param playbooks the playbooks triggers may name, or null for none
     * @param clock     what "now" is for the schedules, catch-up and webhook timestamps; pass the
     *                  orchestrator's ({@code orchestrator.options().clock()}) so that firing times and
     *                  run timestamps agree
     */
    public static Future<Triggers> start(Vertx vertx, Orchestrator orchestrator, TriggerStore store, PlaybookLibrary playbooks,
                                         Clock clock) {
        Triggers triggers = new Triggers(vertx, orchestrator, store, playbooks, Objects.requireNonNull(clock, "clock"));
        return triggers.blocking(() -> {
            boolean shared = store.shared();
            long changes = store.changes();
            List<StoredTrigger> all = store.all();
            long now = clock.millis();
            // One process: every pending time is this server's own from before the restart. Shared: only
            // those whose node let go of them or died (the others are being fired by live nodes).
            Map<String, List<Instant>> taken = store.renewAndTakeOver(triggers.node, Map.of(), now + CLAIM_LEASE_MS,
                    shared ? now : Long.MAX_VALUE);
            return new Loaded(shared, changes, all, taken);
        }).compose(loaded -> triggers.onContext(() -> {
            triggers.shared = loaded.shared();
            triggers.seenChanges = loaded.changes();
            triggers.recover(loaded.triggers(), loaded.taken(), clock.instant());
            triggers.refreshLater();
            return triggers;
        }));
    }

    /** Called with every schedule firing once its run is durable (for benchmarks and metrics); on the triggers' context. */
    public void onFiring(Consumer<Firing> listener) {
        this.firingListener = listener;
    }

    /** Checks webhook signatures and their timestamps against this scheduler's clock. */
    public Signatures signatures() {
        return signatures;
    }

    // ------------------------------------------------------------------ API

    /** Creates a trigger from its posted definition; the trigger as the API shows it. */
    public Future<ObjectNode> create(JsonNode body) {
        TriggerSpec spec;
        try {
            spec = TriggerSpec.parse(body, clock.instant());
        } catch (BatonException e) {
            return Future.failedFuture(e);
        }
        Future<Void> planChecked;
        if (spec.playbook() != null) {
            if (playbook(spec.playbook()).isEmpty()) {
                ObjectNode details = Json.object();
                details.put("field", "playbook");
                return Future.failedFuture(new BatonException(Kind.UNPROCESSABLE, "unknown_playbook", "there is no playbook '"
                        + spec.playbook() + "'; GET /api/playbooks lists them", details));
            }
            planChecked = Future.succeededFuture();
        } else {
            planChecked = orchestrator.checkPlan(spec.plan());
        }
        return planChecked.compose(ok -> onContext(() -> {
            if (entries.containsKey(spec.name()) || !creating.add(spec.name())) throw exists(spec.name());
            Instant next = spec.schedule() == null ? null : spec.timing().next(clock.instant());
            StoredTrigger stored = new StoredTrigger(spec, false, new FiringState(next, null, null));
            long before = seenChanges;
            return blocking(() -> written(store.insert(stored))).compose(w -> onContext(() -> {
                creating.remove(spec.name());
                ownChange(before, w.changes());
                if (!w.result()) throw exists(spec.name());
                Entry entry = new Entry(spec, false, stored.state());
                entries.put(spec.name(), entry);
                enqueue(entry);
                return entry;
            }), failure -> onContext(() -> {
                creating.remove(spec.name());
                throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
            }));
        })).compose(f -> f).compose(this::withRuns);
    }

    /**
     * What {@code /metrics} shows of the triggers: counts over all of them. Two latencies of schedule firings are timers in
     * the orchestrator's registry: {@code baton.trigger.dispatch.lateness} and {@code baton.trigger.start}.
     */
    public record Totals(int triggers, int paused, long started, long skipped, long failed, int queued, int pending) {
    }

    public Future<Totals> totals() {
        return onContext(() -> {
            int paused = 0, queued = 0, pending = 0;
            long started = 0, skipped = 0, failed = 0;
            for (Entry e : entries.values()) {
                if (e.paused) paused++;
                queued += e.queued.size();
                pending += e.pending.size();
                started += e.started;
                skipped += e.skipped;
                failed += e.failed;
            }
            return new Totals(entries.size(), paused, started, skipped, failed, queued, pending);
        });
    }

    /**
     * Every trigger, by name; with {@code summary}, without its plan and input ({@code planTasks} counts the
     * plan's tasks instead): what a page that polls the list needs, a small fraction of the bytes.
     */
    public Future<ArrayNode> list(boolean summary) {
        // One read of the journal for all the triggers' runs: the console polls this list every 2 s.
        return fresh().compose(v -> onContext(() -> List.copyOf(entries.keySet())))
                .compose(orchestrator::runCountsByTrigger)
                .compose(counts -> onContext(() -> {
                    ArrayNode list = Json.array();
                    for (Entry e : entries.values()) {
                        ObjectNode node = json(e, counts.get(e.spec.name()));
                        if (summary) {
                            JsonNode plan = node.remove("plan");
                            node.remove("input");
                            if (plan != null) node.put("planTasks", plan.path("tasks").size());
                        }
                        list.add(node);
                    }
                    return list;
                }));
    }

    public Future<ObjectNode> get(String name) {
        return fresh().compose(v -> onContext(() -> entry(name))).compose(this::withRuns);
    }

    /** Stops a trigger from firing (durably) until it is resumed; firings queued for overlap are dropped. */
    public Future<ObjectNode> pause(String name) {
        return setPaused(name, true);
    }

    /** Lets a paused trigger fire again, from its next time after now: what it missed meanwhile is not caught up. */
    public Future<ObjectNode> resume(String name) {
        return setPaused(name, false);
    }

    private Future<ObjectNode> setPaused(String name, boolean paused) {
        return fresh().compose(v -> onContext(() -> {
            Entry entry = entry(name);
            List<Instant> dropped = List.of();
            if (entry.paused != paused) {
                entry.paused = paused;
                entry.generation++;
                dropped = dropQueued(entry);
                if (entry.schedule != null) {
                    entry.next = paused ? null : entry.schedule.next(clock.instant());
                    if (!paused) enqueue(entry);
                }
            }
            Instant next = entry.next;
            List<Instant> gone = dropped;
            long before = seenChanges;
            return blocking(() -> written(store.pause(name, paused, next, gone))).compose(w -> onContext(() -> {
                ownChange(before, w.changes());
                return entry;
            }));
        })).compose(f -> f).compose(this::withRuns);
    }

    /** Deletes a trigger; runs it started go on. */
    public Future<Void> delete(String name) {
        return fresh().compose(v -> onContext(() -> {
            Entry entry = entry(name);
            entries.remove(name);
            entry.generation++;
            dirty.remove(name);
            long before = seenChanges;
            return blocking(() -> written(store.delete(name))).compose(w -> onContext(() -> {
                ownChange(before, w.changes());
                return (Void) null;
            }));
        })).compose(f -> f);
    }

    /**
     * Starts one run of the trigger now, as a firing of it ({@link Origin.Manual}: who asked, and when), counted
     * with its firings and runs. A paused trigger runs too: pausing stops its schedule or events, not a person
     * who asks. The overlap policy does not hold it back (a person asked for this run), but with {@code skip} or
     * {@code queue} the schedule's next firings wait for it as for any other run of the trigger.
     *
     * @param by who asked (the caller's name)
     * @return the run's id
     */
    public Future<String> runNow(String name, String by) {
        var caller = dev.baton.runtime.telemetry.Tracing.current();
        return fresh().compose(v -> onContext(() -> {
            Entry entry = entry(name);
            JsonNode plan = plan(entry.spec); // 422 if its playbook is gone
            Instant now = clock.instant();
            Origin origin = new Origin.Trigger(name, new Origin.Manual(by, now), entry.spec.playbook());
            Future<Submitted> submitted;
            try (var scope = caller.makeCurrent()) {
                submitted = orchestrator.submit(new RunRequest(entry.spec.goal(), entry.spec.input(), plan, null, null, null, origin));
            }
            return submitted.compose(run -> onContext(() -> {
                if (entries.get(name) == entry) {
                    entry.started++;
                    if (entry.lastFiredAt == null || !now.isBefore(entry.lastFiredAt)) {
                        entry.lastFiredAt = now;
                        entry.lastRunId = run.runId();
                    }
                    if (entry.overlap() != TriggerSpec.Overlap.ALLOW && !SUBMITTING.equals(entry.running)) {
                        entry.running = run.runId();
                        watch(entry, run.runId());
                    }
                    markDirty(entry);
                }
                return run.runId();
            }));
        })).compose(f -> f);
    }

    /** How many firing times {@link #preview} shows. */
    public static final int PREVIEW_TIMES = 5;

    /**
     * A schedule being written, before it is created: its description in words and its next
     * {@value #PREVIEW_TIMES} firing times from now (an {@code every} schedule counts from now, as a trigger
     * created now would). A bad schedule fails as creating it would: {@code 400 trigger_invalid}, the field in
     * {@code details.field}, the cron parser's message.
     *
     * @param schedule the {@code schedule} object of a trigger's definition
     */
    public ObjectNode preview(JsonNode schedule) {
        Instant now = clock.instant();
        TriggerSpec.ScheduleSpec spec = TriggerSpec.parseSchedule(schedule, now);
        Schedule timing = spec.timing(now);
        ObjectNode answer = Json.object();
        answer.put("description", spec.description());
        if (spec.cron() != null) answer.put("timeZone", spec.timeZone().getId());
        ArrayNode next = answer.putArray("next");
        Instant at = now;
        for (int i = 0; i < PREVIEW_TIMES; i++) {
            at = timing.next(at);
            if (at == null) break;
            next.add(at.toString());
        }
        return answer;
    }

    /** Who posts an event, as far as its trigger is concerned. */
    public enum Sender {
        /**
         * No credentials (a webhook): only a valid signature gets in, and every refusal is the same
         * 401, whether the trigger exists, takes events, has a secret, or not, so that names cannot be probed.
         */
        STRANGER,
        /** Credentials that may read the triggers but not start runs (a viewer): a signed event gets in. */
        READER,
        /** An operator (or the local caller of a server without tokens): also unsigned events, to a trigger without a secret. */
        OPERATOR
    }

    /**
     * An event posted to an event trigger. A trigger with a secret takes only events signed as
     * Standard Webhooks does ({@link Signatures}), from anyone, and their {@code webhook-id} is the event id;
     * a trigger without one takes events only from an {@link Sender#OPERATOR}, deduplicated by {@code eventId}
     * (else by {@code webhook-id}).
     *
     * @param body    the raw body, as signed
     * @param signed  the {@code webhook-*} headers as received
     * @param eventId {@code X-Baton-Event-Id}, or null; for a trigger without a secret (with neither, the
     *                event is not deduplicated)
     * @throws BadSignature (as the future's failure) if the sender is not let in (401)
     */
    public Future<EventOutcome> event(String name, byte[] body, Signatures.Headers signed, String eventId, Sender sender) {
        // The sender's trace (OpenTelemetry's current context, e.g. from its traceparent), for the run it starts.
        var caller = dev.baton.runtime.telemetry.Tracing.current();
        return fresh().compose(v -> onContext(() -> {
            Entry entry = entries.get(name);
            TriggerSpec.EventSpec spec = entry == null ? null : entry.spec.event();
            String secret = spec == null ? null : spec.secret();
            if (sender == Sender.STRANGER) {
                signatures.check(signed); // says what is wrong with the headers alone, the same for every trigger
                // A MAC is computed either way, with a key nobody has when there is no secret, so that an answer
                // takes as long for a name that does not exist as for one that does.
                boolean valid = signatures.matches(secret == null ? DECOY_KEY : Signatures.key(secret), signed, body);
                if (!valid || secret == null) {
                    throw new BadSignature(Signatures.mismatch() + "; a trigger without a secret takes events only with an"
                            + " operator's bearer token");
                }
            } else {
                if (entry == null) throw BatonException.notFound("trigger", name);
                if (spec == null) {
                    throw new BatonException(Kind.UNPROCESSABLE, "not_an_event_trigger", "the trigger '" + name
                            + "' is a schedule; events can only be posted to an event trigger");
                }
                if (secret != null) {
                    signatures.verify(Signatures.key(secret), signed, body);
                } else if (sender != Sender.OPERATOR) {
                    throw new BatonException(Kind.FORBIDDEN, "forbidden", "the trigger '" + name + "' has no secret: its events"
                            + " need an operator's bearer token");
                }
            }
            // A signed event's id is the signed one: under another id its signature would not match.
            String id = secret != null || eventId == null ? signed.id() : eventId;
            if (id != null && (id.isBlank() || id.length() > Signatures.MAX_ID_LENGTH)) {
                throw new BatonException(Kind.INVALID, "bad_request", "the event id (X-Baton-Event-Id or webhook-id) must hold 1 to "
                        + Signatures.MAX_ID_LENGTH + " characters");
            }
            if (entry.paused) throw new BatonException(Kind.CONFLICT, "trigger_paused", "the trigger '" + name + "' is paused; resume it first");
            JsonNode payload;
            try {
                payload = STRICT.readTree(new String(body, StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new BatonException(Kind.INVALID, "bad_request", "the event body is not JSON: " + e.getOriginalMessage());
            }
            if (payload == null || payload.isMissingNode()) throw new BatonException(Kind.INVALID, "bad_request", "the event needs a JSON body");
            ObjectNode input = entry.spec.input().deepCopy();
            if (entry.spec.event().inputMapping().isEmpty()) {
                input.set("event", payload);
            } else {
                entry.spec.event().inputMapping().forEach((field, path) -> {
                    JsonNode value = path.read(payload);
                    if (value != null) input.set(field, value);
                });
            }
            Instant now = clock.instant();
            Origin origin = new Origin.Trigger(name, new Origin.Event(id, now), entry.spec.playbook());
            String key = id == null ? null : Origin.TRIGGER_KEYS + name + ":event:" + id;
            Future<dev.baton.runtime.orchestrator.Submitted> submittedRun;
            try (var scope = caller.makeCurrent()) {
                submittedRun = orchestrator.submit(new RunRequest(entry.spec.goal(), input, plan(entry.spec), null, key, null, origin));
            }
            return submittedRun
                    .compose(submitted -> onContext(() -> {
                        Entry current = entries.get(name);
                        if (current != null && !submitted.replayed()) {
                            current.lastFiredAt = now;
                            current.lastRunId = submitted.runId();
                            current.started++;
                            markDirty(current);
                        }
                        return new EventOutcome(submitted.runId(), submitted.replayed());
                    }));
        })).compose(f -> f);
    }

    // ------------------------------------------------------------------ scheduling

    /**
     * @param taken the pending times this scheduler took over (on one process: all of them), by trigger
     */
    private void recover(List<StoredTrigger> stored, Map<String, List<Instant>> taken, Instant now) {
        for (StoredTrigger t : stored) {
            Entry entry = new Entry(t.spec(), t.paused(), t.state());
            entries.put(t.spec().name(), entry);
            // Only the times this scheduler holds are its to finish; other nodes fire theirs.
            entry.pending.clear();
            entry.pending.addAll(taken.getOrDefault(t.spec().name(), List.of()));
            if (entry.schedule == null) continue;
            List<Instant> again = new ArrayList<>(entry.pending);
            if (!again.isEmpty()) {
                LOG.info("trigger '{}' had {} firing(s) claimed but not finished {} (from {}); firing them again", entry.spec.name(),
                        again.size(), shared ? "by a node that stopped" : "before the restart", again.get(0));
            }
            Claim catchUp = null;
            entry.next = onGrid(entry.schedule, entry.next);
            if (!entry.paused) {
                Instant storedNext = entry.next;
                // On a shared store a time due just now is another live node's to claim (or this one's, late): only
                // times older than a claim's lease were missed while no node ran.
                Instant missedBy = shared ? now.minusMillis(CLAIM_LEASE_MS) : now;
                CatchUp.Missed missed = CatchUp.missed(storedNext, entry.schedule, entry.spec.schedule(), missedBy);
                if (missed.count() > 0) {
                    entry.next = entry.schedule.next(missedBy);
                    LOG.info("trigger '{}' missed {} firing(s) from {} while down; catch-up {} fires {} of them", entry.spec.name(),
                            missed.count(), storedNext, entry.spec.schedule().catchUp().name().toLowerCase(java.util.Locale.ROOT),
                            missed.toFire().size());
                    // One claim moves the stored next time past the missed ones and holds those catch-up fires.
                    catchUp = new Claim(entry, entry.generation, storedNext, entry.next, missed.toFire(), now.toEpochMilli(), true);
                } else if (storedNext == null) { // not paused, yet no next time stored: from now on
                    entry.next = entry.schedule.next(now);
                    catchUp = new Claim(entry, entry.generation, null, entry.next, List.of(), now.toEpochMilli(), true);
                }
            }
            Claim catchUpClaim = catchUp;
            if (entry.overlap() != TriggerSpec.Overlap.ALLOW && entry.lastRunId != null) {
                // Whether the last run still goes decides the overlap policy of what fires now; until
                // the orchestrator answers, it counts as going.
                String last = entry.lastRunId;
                entry.running = last;
                watch(entry, last);
                // The journal's run row says the status; loading the whole run to read it would
                // replay every event of every trigger's last run at startup.
                orchestrator.runRecord(last).onComplete(record -> context.runOnContext(v -> {
                    boolean going = record.succeeded() && record.result().isPresent() && !RunStatus.finished(record.result().get().status());
                    if (last.equals(entry.running) && !going) entry.running = null;
                    startRecovered(entry, again, catchUpClaim);
                }));
            } else {
                startRecovered(entry, again, catchUpClaim);
            }
        }
    }

    /**
     * Fires again the firings that were pending at the restart (claimed already), then claims the
     * ones catch-up fires, oldest first, and starts the schedule.
     */
    private void startRecovered(Entry entry, List<Instant> again, Claim catchUp) {
        if (entries.get(entry.spec.name()) != entry) return; // deleted meanwhile
        long now = clock.millis();
        for (Instant at : again) {
            if (!entry.pending.contains(at)) continue;
            // A paused trigger's pending firings were being submitted when it was paused (pausing drops the queued ones).
            if (entry.paused) submit(entry, at, now, false);
            else fire(entry, at, now, false);
        }
        if (catchUp != null && !entry.paused && catchUp.generation() == entry.generation) claim(catchUp); // unless paused meanwhile
        enqueue(entry);
        flush();
    }

    private void enqueue(Entry entry) {
        if (entry.next == null || entry.paused) return;
        wheel.add(new DueTime(entry.next.toEpochMilli(), entry.spec.name(), entry.generation));
        arm();
    }

    /** Keeps the one timer armed for the earliest due time. */
    private void arm() {
        if (closed) return;
        DueTime head = wheel.peek();
        if (head == null) return;
        if (timerId >= 0 && timerAtMs <= head.atMs()) return;
        if (timerId >= 0) vertx.cancelTimer(timerId);
        timerAtMs = head.atMs();
        timerId = vertx.setTimer(Math.max(1, head.atMs() - clock.millis()), id -> {
            timerId = -1;
            timerAtMs = Long.MAX_VALUE;
            tick();
        });
    }

    private void tick() {
        if (closed) return;
        long now = clock.millis();
        DueTime due;
        while ((due = wheel.peek()) != null && due.atMs() <= now) {
            wheel.poll();
            Entry entry = entries.get(due.name());
            if (entry == null || entry.generation != due.generation() || entry.paused || entry.next == null
                    || entry.next.toEpochMilli() != due.atMs()) continue;
            Instant at = entry.next;
            entry.next = entry.schedule.next(at);
            enqueue(entry);
            claim(new Claim(entry, entry.generation, at, entry.next, List.of(at), now, false));
            dispatchLateness.record(Math.max(0, now - due.atMs()), TimeUnit.MILLISECONDS);
        }
        arm();
        flush(); // once for all the claims of this tick: one save commits them together
    }

    /** Claims firings: they are submitted once the store said the claim is this scheduler's (see {@link #flush}). */
    private void claim(Claim claim) {
        claim.entry.pending.addAll(claim.times);
        claims.add(claim);
    }

    /**
     * A claim is durable and this scheduler's: the firings go on, unless their trigger was deleted, paused
     * or resumed meanwhile. If another node fired the trigger's last run, whether that run still goes
     * decides the overlap policy (the journal's run row says).
     */
    private void claimed(Claim claim, TriggerStore.ClaimResult result) {
        Entry entry = claim.entry;
        if (entries.get(entry.spec.name()) != entry) return;
        String last = result.lastRunId();
        if (entry.overlap() != TriggerSpec.Overlap.ALLOW && entry.running == null && last != null && !last.equals(entry.lastRunId)
                && entry.generation == claim.generation) {
            entry.running = last;
            orchestrator.runRecord(last).onComplete(record -> context.runOnContext(v -> {
                boolean going = record.succeeded() && record.result().isPresent() && !RunStatus.finished(record.result().get().status());
                if (last.equals(entry.running)) {
                    if (going) watch(entry, last);
                    else entry.running = null;
                }
                fireClaimed(claim);
            }));
            return;
        }
        fireClaimed(claim);
    }

    private void fireClaimed(Claim claim) {
        Entry entry = claim.entry;
        if (entries.get(entry.spec.name()) != entry) return;
        for (Instant at : claim.times) {
            if (!entry.pending.contains(at)) continue;
            if (entry.generation != claim.generation) finish(entry, at);
            else fire(entry, at, claim.dispatchedAtMs, claim.catchUp);
        }
    }

    /**
     * Another node's claim came first, or the trigger changed there: this scheduler goes on from the
     * stored next time (fired when due, so a time nobody claimed is fired late, never skipped).
     */
    private void lost(Claim claim, TriggerStore.ClaimResult result) {
        Entry entry = claim.entry;
        claim.times.forEach(entry.pending::remove);
        if (entries.get(entry.spec.name()) != entry) return;
        if (!result.exists()) { // deleted through another node
            entries.remove(entry.spec.name());
            entry.generation++;
            return;
        }
        // Only the newest claim of the entry speaks for its next time; an older one was overtaken.
        if (entry.generation != claim.generation || !Objects.equals(entry.next, claim.newNext)) return;
        entry.next = result.paused() ? null : onGrid(entry.schedule, result.next()); // a pause there: the next reload says so
        enqueue(entry);
    }

    /** A pending time is over here (fired, skipped, given up, dropped): the store forgets it at the next save. */
    private void finish(Entry entry, Instant at) {
        entry.pending.remove(at);
        done.computeIfAbsent(entry.spec.name(), n -> new TreeSet<>()).add(at);
        markDirty(entry);
    }

    /** One claimed firing of a schedule, subject to its overlap policy. */
    private void fire(Entry entry, Instant at, long dispatchedAtMs, boolean catchUp) {
        TriggerSpec.Overlap overlap = entry.overlap();
        if (overlap != TriggerSpec.Overlap.ALLOW && entry.running != null) {
            if (overlap == TriggerSpec.Overlap.QUEUE && entry.queued.size() < MAX_QUEUED) {
                entry.queued.addLast(at); // stays pending: a crash brings it back queued
            } else {
                entry.skipped++;
                LOG.debug("trigger '{}' skipped its firing at {}: run {} is still going", entry.spec.name(), at, entry.running);
                finish(entry, at);
                return;
            }
            markDirty(entry);
            return;
        }
        submit(entry, at, dispatchedAtMs, catchUp);
    }

    /** @param catchUp a firing missed while the server was down, fired by the catch-up policy */
    private void submit(Entry entry, Instant at, long dispatchedAtMs, boolean catchUp) {
        String name = entry.spec.name();
        JsonNode plan;
        try {
            plan = plan(entry.spec);
        } catch (BatonException e) {
            entry.failed++;
            LOG.warn("trigger '{}' could not fire at {}: {}", name, at, e.getMessage());
            finish(entry, at);
            return;
        }
        Origin origin = new Origin.Trigger(name, new Origin.Scheduled(at, catchUp), entry.spec.playbook());
        String key = Origin.TRIGGER_KEYS + name + "@" + at;
        boolean track = entry.overlap() != TriggerSpec.Overlap.ALLOW;
        if (track) entry.running = SUBMITTING;
        orchestrator.submit(new RunRequest(entry.spec.goal(), entry.spec.input(), plan, null, key, null, origin))
                .onComplete(result -> context.runOnContext(v -> {
                    if (entries.get(name) != entry) return; // deleted meanwhile
                    if (closed) return; // close() let go of it pending: the next start fires it again (a replay if it is durable)
                    entry.pending.remove(at);
                    done.computeIfAbsent(name, n -> new TreeSet<>()).add(at);
                    if (result.failed()) {
                        entry.failed++;
                        LOG.warn("trigger '{}' could not start its run for {}: {}", name, at, result.cause().toString());
                        if (track && SUBMITTING.equals(entry.running)) {
                            entry.running = null;
                            drain(entry);
                        }
                        markDirty(entry);
                        return;
                    }
                    Submitted submitted = result.result();
                    if (!submitted.replayed()) { // a replay is this firing made before a restart
                        entry.started++;
                    }
                    if (entry.lastFiredAt == null || !at.isBefore(entry.lastFiredAt)) {
                        entry.lastFiredAt = at;
                        entry.lastRunId = submitted.runId();
                    }
                    if (track) {
                        entry.running = submitted.runId();
                        watch(entry, submitted.runId());
                    }
                    markDirty(entry);
                    long durableAtMs = clock.millis();
                    startSeconds.record(Math.max(0, durableAtMs - dispatchedAtMs), TimeUnit.MILLISECONDS);
                    firingListener.accept(new Firing(name, at.toEpochMilli(), dispatchedAtMs, durableAtMs, submitted.runId()));
                }));
    }

    /** Clears {@code running} when the run finishes, and starts a queued firing. */
    private void watch(Entry entry, String runId) {
        orchestrator.whenFinished(runId).onComplete(done -> context.runOnContext(v -> {
            if (entries.get(entry.spec.name()) != entry || !runId.equals(entry.running)) return;
            entry.running = null;
            drain(entry);
        }));
    }

    private void drain(Entry entry) {
        if (entry.running != null || entry.paused || entry.queued.isEmpty()) return;
        submit(entry, entry.queued.pollFirst(), clock.millis(), false);
    }

    /**
     * Pausing drops the firings queued by overlap and the claims not yet saved: they are no longer pending.
     * The queued times, which the store holds as pending.
     */
    private List<Instant> dropQueued(Entry entry) {
        List<Instant> dropped = new ArrayList<>(entry.queued);
        for (Instant at : entry.queued) entry.pending.remove(at);
        entry.queued.clear();
        claims.removeIf(c -> {
            if (c.entry != entry) return false;
            c.times.forEach(entry.pending::remove);
            return true;
        });
        return dropped;
    }

    /** What a firing runs: the trigger's plan, or its playbook's plan as it is now. */
    private JsonNode plan(TriggerSpec spec) {
        if (spec.plan() != null) return spec.plan();
        return playbook(spec.playbook()).map(p -> (JsonNode) PlanWriter.toJson(p.plan()))
                .orElseThrow(() -> new BatonException(Kind.UNPROCESSABLE, "unknown_playbook", "the playbook '" + spec.playbook()
                        + "' of the trigger '" + spec.name() + "' no longer exists"));
    }

    private Optional<Playbook> playbook(String name) {
        return playbooks == null ? Optional.empty() : playbooks.find(name);
    }

    // ------------------------------------------------------------------ saving state

    private void markDirty(Entry entry) {
        dirty.add(entry.spec.name());
        flush();
    }

    /**
     * Saves claims and progress, each in its own transaction and at its own pace. Claims go at once;
     * the firings claimed are submitted when the store has answered, and claims made meanwhile go
     * together in the next claim (group commit). Progress (times no longer pending, {@code lastRunId})
     * waits until {@value #FLUSH_SPACING_MS} ms after the previous progress save: such state saved late
     * is harmless (see the class comment), and spacing the writes keeps them from competing with the
     * journal's (in the benchmark on H2, writing every 100 ms slowed the journal's commits visibly), and
     * a progress save never holds up a claim. A failed save is retried; a failed claim after
     * {@value #FLUSH_SPACING_MS} ms, its firings waiting meanwhile.
     */
    private void flush() {
        flushClaims();
        flushProgress();
    }

    private void flushClaims() {
        if (claiming || refreshing || closed || claims.isEmpty()) return;
        long now = clock.millis();
        if (now < claimRetryAtMs) {
            flushLater(claimRetryAtMs - now);
            return;
        }
        claiming = true;
        List<Claim> sent = claims;
        claims = new ArrayList<>();
        List<TriggerStore.ClaimRequest> requests = sent.stream().map(Claim::request).toList();
        long until = now + CLAIM_LEASE_MS;
        blocking(() -> store.claim(requests, node, until)).onComplete(result -> context.runOnContext(v -> {
            claiming = false;
            if (result.failed()) {
                if (!closed) {
                    LOG.warn("could not save the claims of {} firing(s), will retry: {}", sent.size(), result.cause().toString());
                }
                sent.addAll(claims);
                claims = sent;
                claimRetryAtMs = clock.millis() + FLUSH_SPACING_MS;
            } else if (!closed) { // once closed, the claims stay pending (let go of) for the next start or another node
                List<TriggerStore.ClaimResult> results = result.result();
                for (int i = 0; i < sent.size(); i++) {
                    if (results.get(i).won()) claimed(sent.get(i), results.get(i));
                    else lost(sent.get(i), results.get(i));
                }
            }
            afterSave();
        }));
    }

    private void flushProgress() {
        if (saving || refreshing || closed || dirty.isEmpty() || flushTimerArmed) return;
        long wait = lastFlushEndMs + FLUSH_SPACING_MS - clock.millis();
        if (wait > 0) {
            flushLater(wait);
            return;
        }
        saving = true;
        Map<String, TriggerStore.Progress> batch = snapshot();
        blocking(() -> {
            store.progress(batch);
            return null;
        }).onComplete(result -> context.runOnContext(v -> {
            saving = false;
            lastFlushEndMs = clock.millis();
            if (result.failed()) {
                if (!closed) LOG.warn("could not save the state of {} trigger(s), will retry: {}", batch.size(), result.cause().toString());
                unsave(batch);
            }
            afterSave();
        }));
    }

    /** A save is over: a look that waited for it goes now, then whatever is left to save. */
    private void afterSave() {
        if (refreshWanted && !claiming && !saving) refresh();
        flush();
    }

    /** A progress save failed: what it carried is to be saved again. */
    private void unsave(Map<String, TriggerStore.Progress> batch) {
        batch.forEach((name, p) -> {
            if (!entries.containsKey(name)) return;
            dirty.add(name);
            if (!p.done().isEmpty()) done.computeIfAbsent(name, n -> new TreeSet<>()).addAll(p.done());
        });
    }

    private void flushLater(long wait) {
        if (flushTimerArmed) return;
        flushTimerArmed = true;
        vertx.setTimer(wait, id -> {
            flushTimerArmed = false;
            flush();
        });
    }

    private Map<String, TriggerStore.Progress> snapshot() {
        Map<String, TriggerStore.Progress> batch = new HashMap<>();
        for (String name : dirty) {
            Entry e = entries.get(name);
            Set<Instant> over = done.remove(name);
            if (e != null) batch.put(name, new TriggerStore.Progress(over == null ? Set.of() : over, e.lastFiredAt, e.lastRunId));
        }
        dirty.clear();
        done.clear(); // of triggers deleted meanwhile
        return batch;
    }

    // ------------------------------------------------------------------ several nodes

    private boolean refreshWanted;

    private void refreshLater() {
        if (!shared || closed) return;
        vertx.setTimer(REFRESH_MS, id -> refresh());
    }

    /**
     * On a shared store: renews this scheduler's claims, takes over (and fires again) those nobody holds
     * any more, and reloads the definitions if another node changed them. Never while a claim is being
     * saved (nor a claim saved while this runs): the claims this scheduler holds are then exactly the
     * ones it knows of, and a claim of its own that it does not know of is one whose commit it missed.
     */
    private void refresh() {
        refreshWanted = false;
        if (closed) return;
        if (claiming || saving) {
            refreshWanted = true; // when the save is over
            return;
        }
        refreshing = true;
        Map<String, Set<Instant>> held = new HashMap<>();
        for (Entry e : entries.values()) if (!e.pending.isEmpty()) held.put(e.spec.name(), new TreeSet<>(e.pending));
        // Finished here and not saved yet: still this scheduler's, not orphans to take over.
        done.forEach((name, times) -> held.computeIfAbsent(name, n -> new TreeSet<>()).addAll(times));
        long now = clock.millis();
        long seen = seenChanges;
        blocking(() -> {
            long changes = store.changes();
            List<StoredTrigger> all = changes != seen ? store.all() : null;
            Map<String, List<Instant>> taken = store.renewAndTakeOver(node, held, now + CLAIM_LEASE_MS, now);
            return new Loaded(true, changes, all, taken);
        }).onComplete(result -> context.runOnContext(v -> {
            refreshing = false;
            if (closed) return;
            if (result.failed()) {
                LOG.warn("could not look at the triggers' store (renew claims, reload definitions), will retry: {}", result.cause().toString());
            } else {
                if (result.result().triggers() != null) apply(result.result());
                takeOver(result.result().taken());
            }
            refreshLater();
            flush();
        }));
    }

    /**
     * On a shared store, before a request is answered: the definitions as they are now (one read of the
     * change counter; a reload if another node changed one since the last look), so that a trigger created,
     * paused or deleted through another node a moment ago is answered for here too. If the store does not
     * answer, the request is answered from what this node knows.
     */
    private Future<Void> fresh() {
        if (!shared) return Future.succeededFuture();
        long seen = seenChanges;
        return blocking(() -> {
            long changes = store.changes();
            return changes == seen ? null : new Loaded(true, changes, store.all(), Map.of());
        }).compose(loaded -> onContext(() -> {
            if (loaded != null) apply(loaded);
            return (Void) null;
        }), failure -> {
            LOG.debug("could not look for trigger changes before answering: {}", failure.toString());
            return Future.succeededFuture();
        });
    }

    /** What a definition change through this node returned, and the change counter just after it (on a shared store). */
    private record Written<T>(T result, long changes) {
    }

    /** Called off the context, right after a definition change. */
    private <T> Written<T> written(T result) {
        return new Written<>(result, shared ? store.changes() : 0);
    }

    /**
     * After this node's own definition change: if nobody else changed one meanwhile (the counter moved by one
     * from what this node had loaded), this node's definitions are current already, and the next look or
     * request need not reload them all (creating 10,000 triggers through one node would reload them 10,000 times).
     */
    private void ownChange(long before, long after) {
        if (shared && seenChanges == before && after == before + 1) seenChanges = after;
    }

    /** Definitions read at some change count: applied unless newer ones were (the counter only grows). */
    private void apply(Loaded loaded) {
        if (loaded.changes() <= seenChanges) return;
        seenChanges = loaded.changes();
        reload(loaded.triggers());
    }

    /** Definitions as the store has them now: created, paused, resumed or deleted through another node. */
    private void reload(List<StoredTrigger> stored) {
        Set<String> names = new HashSet<>();
        for (StoredTrigger t : stored) {
            String name = t.spec().name();
            names.add(name);
            if (creating.contains(name)) continue;
            Entry entry = entries.get(name);
            if (entry != null && entry.spec.createdAt().equals(t.spec().createdAt()) && entry.spec.toJson(true).equals(t.spec().toJson(true))) {
                if (entry.paused == t.paused()) continue;
                entry.paused = t.paused();
                entry.generation++;
                dropQueued(entry).forEach(at -> done.computeIfAbsent(name, n -> new TreeSet<>()).add(at));
                entry.next = t.paused() ? null : onGrid(entry.schedule, t.state().nextFireAt());
                enqueue(entry);
                continue;
            }
            if (entry != null) entry.generation++; // deleted and created again meanwhile
            Entry fresh = new Entry(t.spec(), t.paused(), t.state());
            fresh.pending.clear(); // others' claims
            fresh.next = onGrid(fresh.schedule, fresh.next);
            entries.put(name, fresh);
            enqueue(fresh);
        }
        entries.values().removeIf(e -> {
            if (names.contains(e.spec.name()) || creating.contains(e.spec.name())) return false;
            e.generation++;
            return true;
        });
    }

    /**
     * A next time as the store keeps it (to the millisecond) back on the schedule's own times, which may be
     * finer (an interval anchored at a creation instant): so that a firing's time, and with it its idempotency
     * key, is the same on every node and after every restart.
     */
    private static Instant onGrid(Schedule schedule, Instant stored) {
        if (stored == null || schedule == null) return stored;
        Instant exact = schedule.next(stored.minusMillis(1));
        return exact != null && exact.toEpochMilli() == stored.toEpochMilli() ? exact : stored;
    }

    /** Fires again the firings this scheduler took over from a node that died or stopped. */
    private void takeOver(Map<String, List<Instant>> taken) {
        long now = clock.millis();
        taken.forEach((name, times) -> {
            Entry entry = entries.get(name);
            if (entry == null) return; // not loaded yet: not held here, so taken again at the next look
            List<Instant> fresh = times.stream().filter(at -> !entry.pending.contains(at)).toList();
            if (fresh.isEmpty()) return;
            LOG.info("trigger '{}': {} firing(s) claimed by a node that stopped or died and not finished (from {}); firing them here",
                    name, fresh.size(), fresh.get(0));
            entry.pending.addAll(fresh);
            for (Instant at : fresh) {
                if (entry.paused) submit(entry, at, now, false);
                else fire(entry, at, now, false);
            }
        });
    }

    /** Stops the schedules and saves what has changed. Runs already started go on in the orchestrator. */
    @Override
    public void close() {
        if (closed) return;
        try {
            Map<String, TriggerStore.Progress> last = onContext(() -> {
                closed = true;
                if (timerId >= 0) vertx.cancelTimer(timerId);
                return snapshot();
            }).await(10, TimeUnit.SECONDS);
            store.progress(last);
            // What is still pending here (being submitted, queued) is for another node to take over at once, or the next start.
            store.release(node);
        } catch (Exception e) {
            closed = true;
            LOG.warn("the triggers' last state was not saved: {}", e.toString());
        }
        io.close();
    }

    // ------------------------------------------------------------------ helpers

    /** The trigger as the API shows it, its runs counted from the journal. */
    private Future<ObjectNode> withRuns(Entry entry) {
        String name = entry.spec.name();
        return orchestrator.runCountsByTrigger(List.of(name)).compose(counts -> onContext(() -> json(entry, counts.get(name))));
    }

    /**
     * @param runsByStatus how many runs the trigger's firings started, by status, as the journal counts them
     *                     ({@link Orchestrator#runCountsByTrigger}: the same on every node and after a restart); null for none
     */
    private ObjectNode json(Entry e, Map<String, Long> runsByStatus) {
        ObjectNode node = e.spec.toJson(false);
        node.put("paused", e.paused);
        node.put("nextFireAt", e.next == null ? null : (e.queued.isEmpty() ? e.next : e.queued.peekFirst()).toString());
        node.put("lastFiredAt", e.lastFiredAt == null ? null : e.lastFiredAt.toString());
        node.put("lastRunId", e.lastRunId);
        node.put("runningRunId", e.running == null || e.running.isEmpty() ? null : e.running);
        node.put("queued", e.queued.size());
        ObjectNode firings = node.putObject("firings");
        firings.put("started", e.started);
        firings.put("skipped", e.skipped);
        firings.put("failed", e.failed);
        // The runs its firings started by how they ended ({@code firings.failed} counts only firings that could not start one).
        Map<String, Long> byStatus = runsByStatus == null ? Map.of() : runsByStatus;
        long started = byStatus.values().stream().mapToLong(Long::longValue).sum();
        long succeeded = byStatus.getOrDefault(RunStatus.SUCCEEDED.name(), 0L);
        long failed = byStatus.getOrDefault(RunStatus.FAILED.name(), 0L) + byStatus.getOrDefault(RunStatus.COMPENSATION_FAILED.name(), 0L);
        long cancelled = byStatus.getOrDefault(RunStatus.CANCELLED.name(), 0L);
        ObjectNode runs = node.putObject("runs");
        runs.put("started", started);
        runs.put("running", started - succeeded - failed - cancelled);
        runs.put("succeeded", succeeded);
        runs.put("failed", failed);
        runs.put("cancelled", cancelled);
        node.put("description", e.description);
        // Due: its next firing's time has come and it has not started yet (queued behind a run, or the timer is
        // late on a busy machine). Judged by the scheduler's clock, so a page need not trust its own.
        JsonNode next = node.get("nextFireAt");
        node.put("due", !e.paused && next != null && next.isTextual() && !Instant.parse(next.textValue()).isAfter(clock.instant()));
        return node;
    }

    private Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) throw BatonException.notFound("trigger", name);
        return entry;
    }

    private static BatonException exists(String name) {
        return new BatonException(Kind.CONFLICT, "trigger_exists", "a trigger named '" + name + "' exists already;"
                + " delete it first or choose another name");
    }

    private <T> Future<T> onContext(Callable<T> body) {
        if (closed) return Future.failedFuture(new BatonException(Kind.UNAVAILABLE, "shutting_down", "the server is shutting down"));
        return ContextCalls.call(context, body);
    }

    private <T> Future<T> blocking(Callable<T> body) {
        return io.executeBlocking(body, false);
    }
}
