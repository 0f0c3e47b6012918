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
import dev.baton.runtime.BatonException.Kind;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.RunRequest;
import dev.baton.runtime.orchestrator.Submitted;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * {@code trigger:<name>:event:<X-Baton-Event-Id>} for an event. The journal makes that key
 * unique and durable, so the same firing made twice (after a crash and restart, by two threads,
 * or by two servers on one database) returns the run the first one created. A trigger's firing
 * state ({@link FiringState}) is saved only after the runs it records are durable; after a crash
 * it may lag behind, and firing again what it missed is harmless for the same reason.
 *
 * <h2>One timer</h2>
 * All state lives on one Vert.x context. The due times of all schedules sit in one priority
 * queue, and one Vert.x timer is armed for the earliest; when it fires, every schedule that is
 * due fires and the timer is armed again. 10,000 schedules cost one timer, not 10,000.
 *
 * <h2>Catch-up and overlap</h2>
 * At start, times in {@code [nextFireAt, now]} were missed while the server was down (or while a
 * firing crashed before its run was durable): {@code skip} fires none of them, {@code latest} the
 * newest, {@code all} the newest {@code catchUpLimit}, oldest first. A schedule that is merely
 * late while running fires late, never skips. A firing that finds the previous firing's run still
 * going is dropped ({@code skip}), held until that run finishes ({@code queue}; up to
 * {@value #MAX_QUEUED}, in memory: after a crash queued times count as missed), or fired anyway
 * ({@code allow}). Paused triggers do not fire; resuming fires from the next time after now.
 */
public final class Triggers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Triggers.class);
    static final int MAX_QUEUED = 100;
    static final long FLUSH_SPACING_MS = 1000;
    /** A run id that is not known yet: a firing is being submitted. */
    private static final String SUBMITTING = "";
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

    private final Map<String, Entry> entries = new TreeMap<>();
    private final Set<String> creating = new HashSet<>();
    private final PriorityQueue<Due> wheel = new PriorityQueue<>();
    private long timerId = -1;
    private long timerAtMs = Long.MAX_VALUE;
    private final Set<String> dirty = new HashSet<>();
    private boolean flushing;
    private boolean flushTimerArmed;
    private long lastFlushEndMs;
    private volatile boolean closed;
    private volatile Consumer<Firing> firingListener = f -> {
    };

    private static final class Entry {
        final TriggerSpec spec;
        final Schedule schedule;
        boolean paused;
        /** The next time to fire (schedules); not yet in the past by more than the timer's lateness. */
        Instant next;
        Instant lastFiredAt;
        String lastRunId;
        /** The run of the newest firing, while it runs (tracked only when overlap is not {@code allow}). */
        String running;
        final Deque<Instant> queued = new ArrayDeque<>();
        /** Times being submitted right now: not yet handled if the process dies. */
        final TreeSet<Instant> inFlight = new TreeSet<>();
        /** Bumped by pause, resume and delete: a due time of an older generation is stale. */
        long generation;
        long started;
        long skipped;
        long failed;

        Entry(TriggerSpec spec, boolean paused, FiringState state) {
            this.spec = spec;
            this.schedule = spec.timing();
            this.paused = paused;
            this.next = state.nextFireAt();
            this.lastFiredAt = state.lastFiredAt();
            this.lastRunId = state.lastRunId();
        }

        TriggerSpec.Overlap overlap() {
            return spec.schedule() == null ? TriggerSpec.Overlap.ALLOW : spec.schedule().overlap();
        }

        /** The state to keep: the earliest time not yet handled. */
        FiringState persisted() {
            Instant earliest = next;
            if (!queued.isEmpty() && (earliest == null || queued.peekFirst().isBefore(earliest))) earliest = queued.peekFirst();
            if (!inFlight.isEmpty() && (earliest == null || inFlight.first().isBefore(earliest))) earliest = inFlight.first();
            return new FiringState(earliest, lastFiredAt, lastRunId);
        }
    }

    private record Due(long atMs, String name, long generation) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            return Long.compare(atMs, o.atMs);
        }
    }

    private Triggers(Vertx vertx, Orchestrator orchestrator, TriggerStore store, PlaybookLibrary playbooks) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.orchestrator = orchestrator;
        this.store = store;
        this.playbooks = playbooks;
        this.io = vertx.createSharedWorkerExecutor("baton-triggers", 2);
    }

    /**
     * Loads the stored triggers, fires what the catch-up policies say of the times missed while
     * down, and starts the schedules. Start it after the orchestrator has recovered.
     *
     * @param playbooks the playbooks triggers may name, or null for none
     */
    public static Future<Triggers> start(Vertx vertx, Orchestrator orchestrator, TriggerStore store, PlaybookLibrary playbooks) {
        Triggers triggers = new Triggers(vertx, orchestrator, store, playbooks);
        return triggers.blocking(store::all).compose(stored -> triggers.onContext(() -> {
            triggers.recover(stored, Instant.now());
            return triggers;
        }));
    }

    /** Called with every schedule firing once its run is durable (for benchmarks and metrics); on the triggers' context. */
    public void onFiring(Consumer<Firing> listener) {
        this.firingListener = listener;
    }

    // ------------------------------------------------------------------ API

    /** Creates a trigger from its posted definition; the trigger as the API shows it. */
    public Future<ObjectNode> create(JsonNode body) {
        TriggerSpec spec;
        try {
            spec = TriggerSpec.parse(body, Instant.now());
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
            Instant next = spec.schedule() == null ? null : spec.timing().next(Instant.now());
            StoredTrigger stored = new StoredTrigger(spec, false, new FiringState(next, null, null));
            return blocking(() -> store.insert(stored)).compose(inserted -> onContext(() -> {
                creating.remove(spec.name());
                if (!inserted) throw exists(spec.name());
                Entry entry = new Entry(spec, false, stored.state());
                entries.put(spec.name(), entry);
                enqueue(entry);
                return json(entry);
            }), failure -> onContext(() -> {
                creating.remove(spec.name());
                throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
            }));
        })).compose(f -> f);
    }

    /** Every trigger, by name. */
    public Future<ArrayNode> list() {
        return onContext(() -> {
            ArrayNode list = Json.array();
            entries.values().forEach(e -> list.add(json(e)));
            return list;
        });
    }

    public Future<ObjectNode> get(String name) {
        return onContext(() -> json(entry(name)));
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
        return onContext(() -> {
            Entry entry = entry(name);
            if (entry.paused != paused) {
                entry.paused = paused;
                entry.generation++;
                entry.queued.clear();
                if (entry.schedule != null) {
                    entry.next = paused ? null : entry.schedule.next(Instant.now());
                    if (!paused) enqueue(entry);
                }
            }
            FiringState state = entry.persisted();
            return blocking(() -> store.setPaused(name, paused, state)).compose(found -> onContext(() -> json(entry)));
        }).compose(f -> f);
    }

    /** Deletes a trigger; runs it started go on. */
    public Future<Void> delete(String name) {
        return onContext(() -> {
            Entry entry = entry(name);
            entries.remove(name);
            entry.generation++;
            dirty.remove(name);
            return blocking(() -> store.delete(name)).<Void>mapEmpty();
        }).compose(f -> f);
    }

    /**
     * An event posted to an event trigger.
     *
     * @param body      the raw body, as signed
     * @param eventId   {@code X-Baton-Event-Id}, or null (then the event is not deduplicated)
     * @param signature {@code X-Baton-Signature}, or null
     * @param trusted   the caller is authenticated otherwise (an operator's bearer token, or a server without tokens):
     *                  enough for a trigger without a secret
     * @throws BadSignature (as the future's failure) if the trigger has a secret and the signature is missing or
     *                      wrong, or has none and the caller is not trusted
     */
    public Future<EventOutcome> event(String name, byte[] body, String eventId, String signature, boolean trusted) {
        return onContext(() -> {
            // Whoever cannot sign may not learn which triggers exist either.
            if (!trusted && !entries.containsKey(name)) throw new BadSignature("no trigger '" + name + "' accepts unsigned events");
            Entry entry = entry(name);
            if (entry.spec.event() == null) {
                throw new BatonException(Kind.UNPROCESSABLE, "not_an_event_trigger", "the trigger '" + name
                        + "' is a schedule; events can only be posted to an event trigger");
            }
            if (entry.spec.event().secret() != null) {
                Signatures.verify(entry.spec.event().secret(), body, signature);
            } else if (!trusted) {
                throw new BadSignature("the trigger '" + name + "' has no secret: post its events with an operator's bearer token");
            }
            if (eventId != null && (eventId.isBlank() || eventId.length() > 200)) {
                throw new BatonException(Kind.INVALID, "bad_request", "the X-Baton-Event-Id header must hold 1 to 200 characters");
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
            Instant now = Instant.now();
            ObjectNode options = Json.object();
            ObjectNode trigger = options.putObject("trigger");
            trigger.put("name", name);
            trigger.put("kind", "event");
            trigger.put("eventId", eventId);
            trigger.put("receivedAt", now.toString());
            if (entry.spec.playbook() != null) trigger.put("playbook", entry.spec.playbook());
            String key = eventId == null ? null : "trigger:" + name + ":event:" + eventId;
            return orchestrator.submit(new RunRequest(entry.spec.goal(), input, plan(entry.spec), options, key, null))
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
        }).compose(f -> f);
    }

    // ------------------------------------------------------------------ scheduling

    private void recover(List<StoredTrigger> stored, Instant now) {
        for (StoredTrigger t : stored) {
            Entry entry = new Entry(t.spec(), t.paused(), t.state());
            entries.put(t.spec().name(), entry);
            if (entry.schedule == null) continue;
            if (entry.overlap() != TriggerSpec.Overlap.ALLOW && entry.lastRunId != null) {
                entry.running = entry.lastRunId;
                watch(entry, entry.lastRunId);
            }
            if (entry.paused) continue;
            Instant firstMissed = entry.next;
            Missed missed = missed(entry, now);
            entry.next = entry.schedule.next(now);
            if (missed.count() > 0) {
                LOG.info("trigger '{}' missed {} firing(s) from {} while down; catch-up {} fires {} of them", entry.spec.name(),
                        missed.count(), firstMissed, entry.spec.schedule().catchUp().name().toLowerCase(java.util.Locale.ROOT),
                        missed.toFire().size());
            }
            for (Instant at : missed.toFire()) fire(entry, at, System.currentTimeMillis(), true);
            markDirty(entry);
            enqueue(entry);
        }
    }

    /** How many times were missed, and those the catch-up policy fires, oldest first. */
    private record Missed(long count, List<Instant> toFire) {
    }

    static final Missed NONE = new Missed(0, List.of());

    private static Missed missed(Entry entry, Instant now) {
        long count = 0;
        Instant t = entry.next;
        if (t == null || t.isAfter(now)) return NONE;
        TriggerSpec.ScheduleSpec spec = entry.spec.schedule();
        int keep = switch (spec.catchUp()) {
            case SKIP -> 0;
            case LATEST -> 1;
            case ALL -> spec.catchUpLimit();
        };
        Deque<Instant> newest = new ArrayDeque<>();
        // Bounded: a schedule every second that was down for a year is not walked through to the end.
        for (int i = 0; t != null && !t.isAfter(now) && i < 1_000_000; i++) {
            count++;
            if (keep > 0) {
                newest.addLast(t);
                if (newest.size() > keep) newest.removeFirst();
            }
            t = entry.schedule.next(t);
        }
        return new Missed(count, new ArrayList<>(newest));
    }

    private void enqueue(Entry entry) {
        if (entry.next == null || entry.paused) return;
        wheel.add(new Due(entry.next.toEpochMilli(), entry.spec.name(), entry.generation));
        arm();
    }

    /** Keeps the one timer armed for the earliest due time. */
    private void arm() {
        if (closed) return;
        Due head = wheel.peek();
        if (head == null) return;
        if (timerId >= 0 && timerAtMs <= head.atMs) return;
        if (timerId >= 0) vertx.cancelTimer(timerId);
        timerAtMs = head.atMs;
        timerId = vertx.setTimer(Math.max(1, head.atMs - System.currentTimeMillis()), id -> {
            timerId = -1;
            timerAtMs = Long.MAX_VALUE;
            tick();
        });
    }

    private void tick() {
        if (closed) return;
        long now = System.currentTimeMillis();
        Due due;
        while ((due = wheel.peek()) != null && due.atMs <= now) {
            wheel.poll();
            Entry entry = entries.get(due.name);
            if (entry == null || entry.generation != due.generation || entry.paused || entry.next == null
                    || entry.next.toEpochMilli() != due.atMs) continue;
            Instant at = entry.next;
            entry.next = entry.schedule.next(at);
            enqueue(entry);
            fire(entry, at, now, false);
        }
        arm();
    }

    /** One firing of a schedule, subject to its overlap policy. */
    private void fire(Entry entry, Instant at, long dispatchedAtMs, boolean catchUp) {
        TriggerSpec.Overlap overlap = entry.overlap();
        if (overlap != TriggerSpec.Overlap.ALLOW && entry.running != null) {
            if (overlap == TriggerSpec.Overlap.QUEUE && entry.queued.size() < MAX_QUEUED) {
                entry.queued.addLast(at);
            } else {
                entry.skipped++;
                LOG.debug("trigger '{}' skipped its firing at {}: run {} is still going", entry.spec.name(), at, entry.running);
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
            markDirty(entry);
            return;
        }
        ObjectNode options = Json.object();
        ObjectNode trigger = options.putObject("trigger");
        trigger.put("name", name);
        trigger.put("kind", "schedule");
        trigger.put("scheduledAt", at.toString());
        if (catchUp) trigger.put("catchUp", true);
        if (entry.spec.playbook() != null) trigger.put("playbook", entry.spec.playbook());
        String key = "trigger:" + name + "@" + at;
        boolean track = entry.overlap() != TriggerSpec.Overlap.ALLOW;
        if (track) entry.running = SUBMITTING;
        entry.inFlight.add(at);
        orchestrator.submit(new RunRequest(entry.spec.goal(), entry.spec.input(), plan, options, key, null))
                .onComplete(result -> context.runOnContext(v -> {
                    entry.inFlight.remove(at);
                    if (entries.get(name) != entry) return; // deleted meanwhile
                    if (result.failed()) {
                        entry.failed++;
                        if (!closed) LOG.warn("trigger '{}' could not start its run for {}: {}", name, at, result.cause().toString());
                        if (track && SUBMITTING.equals(entry.running)) {
                            entry.running = null;
                            drain(entry);
                        }
                        markDirty(entry);
                        return;
                    }
                    Submitted submitted = result.result();
                    entry.started++;
                    if (entry.lastFiredAt == null || !at.isBefore(entry.lastFiredAt)) {
                        entry.lastFiredAt = at;
                        entry.lastRunId = submitted.runId();
                    }
                    if (track) {
                        entry.running = submitted.runId();
                        watch(entry, submitted.runId());
                    }
                    markDirty(entry);
                    firingListener.accept(new Firing(name, at.toEpochMilli(), dispatchedAtMs, System.currentTimeMillis(), submitted.runId()));
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
        submit(entry, entry.queued.pollFirst(), System.currentTimeMillis(), false);
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
     * Saves the state of every changed trigger in one transaction; changes made meanwhile go in
     * the next, at most every {@value #FLUSH_SPACING_MS} ms. A state saved late is harmless (see
     * the class comment), and spacing the writes keeps them from competing with the journal's
     * (in the benchmark on H2, writing every 100 ms slowed the journal's commits visibly).
     */
    private void flush() {
        if (flushing || flushTimerArmed || dirty.isEmpty() || closed) return;
        long wait = lastFlushEndMs + FLUSH_SPACING_MS - System.currentTimeMillis();
        if (wait > 0) {
            flushTimerArmed = true;
            vertx.setTimer(wait, id -> {
                flushTimerArmed = false;
                flush();
            });
            return;
        }
        flushing = true;
        Map<String, FiringState> batch = snapshot();
        blocking(() -> {
            store.saveStates(batch);
            return null;
        }).onComplete(result -> context.runOnContext(v -> {
            flushing = false;
            lastFlushEndMs = System.currentTimeMillis();
            if (result.failed()) {
                LOG.warn("could not save the state of {} trigger(s), will retry: {}", batch.size(), result.cause().toString());
                for (String name : batch.keySet()) if (entries.containsKey(name)) dirty.add(name);
            }
            flush();
        }));
    }

    private Map<String, FiringState> snapshot() {
        Map<String, FiringState> batch = new HashMap<>();
        for (String name : dirty) {
            Entry e = entries.get(name);
            if (e != null) batch.put(name, e.persisted());
        }
        dirty.clear();
        return batch;
    }

    /** Stops the schedules and saves what has changed. Runs already started go on in the orchestrator. */
    @Override
    public void close() {
        if (closed) return;
        try {
            Map<String, FiringState> last = onContext(() -> {
                closed = true;
                if (timerId >= 0) vertx.cancelTimer(timerId);
                return snapshot();
            }).await(10, TimeUnit.SECONDS);
            store.saveStates(last);
        } catch (Exception e) {
            closed = true;
            LOG.warn("the triggers' last state was not saved: {}", e.toString());
        }
        io.close();
    }

    // ------------------------------------------------------------------ helpers

    private ObjectNode json(Entry e) {
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
