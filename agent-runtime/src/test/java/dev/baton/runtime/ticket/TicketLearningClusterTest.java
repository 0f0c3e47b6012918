package dev.baton.runtime.ticket;

import dev.baton.runtime.journal.Journal;
import dev.baton.runtime.journal.Journals;
import dev.baton.runtime.journal.TicketRecord;
import dev.baton.runtime.orchestrator.Orchestrator;
import dev.baton.runtime.orchestrator.OrchestratorOptions;
import dev.baton.runtime.testing.Await;
import dev.baton.runtime.testing.OrchestratorHarness;
import dev.baton.runtime.testing.PostgresTestDatabase;
import dev.baton.tools.ToolRegistry;
import dev.baton.triage.Classification;
import dev.baton.triage.LabelledExample;
import dev.baton.triage.RoutingTable;
import dev.baton.triage.TicketClassifier;
import dev.baton.triage.TicketText;
import dev.baton.triage.Triage;
import dev.baton.triage.TriageTools;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two nodes' ticket services on one PostgreSQL database: a person's correction made through one
 * node reaches the other node's classifier within seconds, without a restart, and each classifier
 * is taught it once. Before issue 13 only the node that took the correction (and a node started
 * after it) learned it.
 */
class TicketLearningClusterTest {
    private static final RoutingTable TABLE = RoutingTable.bundledDemo();
    /** Unsure of everything, so that every ticket waits for a person's review. */
    private static final String GUESS = TABLE.categories().stream().sorted().findFirst().orElseThrow();
    private static final String CORRECTED = TABLE.categories().stream().sorted().skip(1).findFirst().orElseThrow();

    private PostgresTestDatabase db;
    private final List<AutoCloseable> closing = new ArrayList<>();

    /** A classifier that guesses with low confidence and records what it is taught. */
    private static final class Recording implements TicketClassifier {
        final List<LabelledExample> taught = new CopyOnWriteArrayList<>();

        @Override
        public Classification classify(TicketText ticket) {
            return new Classification(GUESS, 0.05, List.of(), "classifier", "a guess");
        }

        @Override
        public void learn(LabelledExample example) {
            taught.add(example);
        }

        @Override
        public Set<String> categories() {
            return TABLE.categories();
        }
    }

    private record Node(TicketService tickets, Recording classifier) {
    }

    @BeforeEach
    void database() {
        db = PostgresTestDatabase.create();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
        if (db != null) db.close();
    }

    private Node node() throws Exception {
        Vertx vertx = Vertx.vertx();
        closing.add(() -> vertx.close().await(10, TimeUnit.SECONDS));
        Journal journal = Journals.open(db.url(), null);
        closing.add(journal);
        Recording classifier = new Recording();
        Triage triage = Triage.of(TABLE, classifier, c -> 0.5);
        triage.warmUp(); // as a server does at start: what it learns reaches the classifier, not a queue for later
        ToolRegistry tools = OrchestratorHarness.builtinTools();
        tools.registerAll(TriageTools.create(triage));
        Orchestrator orchestrator = Orchestrator.start(vertx, journal, tools,
                OrchestratorOptions.builder().approvalPolicy(TicketService.reviewPolicy(triage)).build()).await(30, TimeUnit.SECONDS);
        closing.add(orchestrator);
        TicketService tickets = new TicketService(vertx, orchestrator, journal, triage, TicketService.builtinPlaybook());
        closing.add(tickets);
        tickets.loadExamples().await(30, TimeUnit.SECONDS);
        return new Node(tickets, classifier);
    }

    @Test
    void aCorrectionThroughOneNodeTeachesTheOthersClassifier() throws Exception {
        Node a = node();
        Node b = node();
        TicketService.Created created = a.tickets().create(new TicketService.NewTicket("My card has not arrived",
                "It has been three weeks and still no card in the post.", null, "email", null), null, Duration.ofSeconds(20))
                .await(30, TimeUnit.SECONDS);
        TicketRecord ticket = created.ticket();
        assertEquals("AWAITING_APPROVAL", ticket.status(), ticket.toString());

        a.tickets().route(ticket.id(), CORRECTED, null, "not that", "alice", true, Duration.ZERO).await(30, TimeUnit.SECONDS);
        Await.until("the correction in the journal", Duration.ofSeconds(30),
                () -> a.tickets().get(ticket.id()).toCompletionStage().toCompletableFuture().join().confirmedCategory(),
                CORRECTED::equals);
        String text = new TicketText(ticket.subject(), ticket.body()).joined();
        Await.until("b's classifier to learn the correction made through a", Duration.ofSeconds(15),
                () -> b.classifier().taught.stream().filter(e -> e.text().equals(text)).map(LabelledExample::category).toList(),
                categories -> categories.contains(CORRECTED));

        // Taught once on each node, however many looks follow: let two more pass.
        java.time.Instant later = java.time.Instant.now().plusMillis(2 * TicketService.LEARN_EVERY_MS + 500);
        Await.until("two more looks", Duration.ofSeconds(15), java.time.Instant::now, now -> now.isAfter(later));
        assertEquals(List.of(CORRECTED), a.classifier().taught.stream().map(LabelledExample::category).toList(), "a was taught");
        assertEquals(List.of(CORRECTED), b.classifier().taught.stream().map(LabelledExample::category).toList(), "b was taught");
    }
}
