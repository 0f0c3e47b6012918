package dev.baton.triage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Ticket triage as the tools and the ticket resource share it: the routing table in force, the
 * classifier (built on {@link #warmUp()} or first need, and trained in the background: calls that
 * need it wait), and
 * the review threshold (fixed by the table, or the classifier's cross-validated suggestion for
 * {@code "auto"}). Thread-safe.
 */
public final class Triage {
    private static final Logger LOG = LoggerFactory.getLogger(Triage.class);

    private final RoutingTable table;
    private final Supplier<CompletableFuture<TicketClassifier>> factory;
    private final CompletableFuture<TicketClassifier> classifier = new CompletableFuture<>();
    private final CompletableFuture<Double> threshold;
    private final AtomicBoolean started = new AtomicBoolean();
    /** What was learned before the classifier was ready, taught to it in order once it is; guarded by itself. */
    private final List<Consumer<TicketClassifier>> pending = new java.util.ArrayList<>();
    private TicketClassifier trained;

    /**
     * @param table         the routing table
     * @param factory       builds the classifier (called once: by {@link #warmUp()}, or when first needed);
     *                      its future completes once the classifier is trained
     * @param autoThreshold the classifier's threshold for {@link RoutingTable#AUTO_PRECISION}, asked once
     *                      when the table says {@code "auto"}
     */
    public Triage(RoutingTable table, Supplier<CompletableFuture<TicketClassifier>> factory,
                  ToDoubleFunction<TicketClassifier> autoThreshold) {
        this.table = Objects.requireNonNull(table, "table");
        this.factory = Objects.requireNonNull(factory, "factory");
        Double fixed = table.review().threshold();
        this.threshold = fixed != null ? CompletableFuture.completedFuture(fixed)
                : classifier.thenApplyAsync(autoThreshold::applyAsDouble);
        this.threshold.whenComplete((t, e) -> {
            if (e == null) LOG.info("ticket review threshold: {} ({})", t, fixed != null ? "routing table" : "auto, cross-validated");
        });
    }

    /** A triage whose classifier is ready now. */
    public static Triage of(RoutingTable table, TicketClassifier classifier, ToDoubleFunction<TicketClassifier> autoThreshold) {
        return new Triage(table, () -> CompletableFuture.completedFuture(classifier), autoThreshold);
    }

    /**
     * Starts building and training the classifier in the background, if not started yet. A server
     * calls it at start; without it the first ticket pays for training.
     */
    public void warmUp() {
        if (!started.compareAndSet(false, true)) return;
        try {
            factory.get().whenComplete((c, e) -> {
                if (e != null) {
                    classifier.completeExceptionally(e);
                    return;
                }
                // Whatever was learned meanwhile is taught before anyone may classify.
                synchronized (pending) {
                    for (Consumer<TicketClassifier> lesson : pending) lesson.accept(c);
                    pending.clear();
                    trained = c;
                }
                classifier.complete(c);
            });
        } catch (RuntimeException e) {
            classifier.completeExceptionally(e);
        }
    }

    public RoutingTable table() {
        return table;
    }

    /** True once the classifier is trained and the threshold known. */
    public boolean ready() {
        return threshold.isDone() && !threshold.isCompletedExceptionally();
    }

    /** True once building or training the classifier failed (it will not become ready). */
    public boolean failed() {
        return classifier.isCompletedExceptionally() || threshold.isCompletedExceptionally();
    }

    /** Blocks until the classifier is ready. @throws IllegalStateException if it failed to load */
    public TicketClassifier classifier() {
        warmUp();
        try {
            return classifier.join();
        } catch (CompletionException e) {
            throw new IllegalStateException("the ticket classifier failed to load: " + e.getCause(), e.getCause());
        }
    }

    /** The review threshold in force; blocks until it is known. */
    public double threshold() {
        warmUp();
        try {
            return threshold.join();
        } catch (CompletionException e) {
            throw new IllegalStateException("the ticket review threshold is unknown: " + e.getCause(), e.getCause());
        }
    }

    /** The threshold if already known, else {@code fallback} (never blocks). */
    public double thresholdNow(double fallback) {
        return ready() ? threshold.join() : fallback;
    }

    /** A keyword rule of the table, when one matches, else the classifier. */
    public Classification classify(TicketText ticket) {
        return classify(ticket, null);
    }

    /** As {@link #classify(TicketText)}, for a tool call of a run (model tokens count for its run); context may be null. */
    public Classification classify(TicketText ticket, dev.baton.tools.ToolContext context) {
        RoutingTable.RuleMatch rule = table.keywordRule(ticket.joined());
        if (rule != null) {
            return new Classification(rule.rule().category(), 1.0, List.of(), "rule",
                    "the routing table sends tickets mentioning '" + rule.keyword() + "' to " + rule.rule().category());
        }
        return context == null ? classifier().classify(ticket) : classifier().classify(ticket, context);
    }

    /** Teaches the classifier a person's decision (now, or as soon as it is ready). Keeping it durably is the caller's job. */
    public void learn(LabelledExample example) {
        teach(c -> c.learn(example));
    }

    /** As {@link #learn(LabelledExample)}, for a ticket as it came ({@link TicketClassifier#learn(TicketText, String)}). */
    public void learn(TicketText ticket, String category) {
        teach(c -> c.learn(ticket, category));
    }

    private void teach(Consumer<TicketClassifier> lesson) {
        TicketClassifier c;
        synchronized (pending) {
            c = trained;
            if (c == null) {
                pending.add(lesson);
                return;
            }
        }
        lesson.accept(c);
    }
}
