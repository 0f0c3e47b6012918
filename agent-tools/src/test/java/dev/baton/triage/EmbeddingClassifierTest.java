package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.baton.embedding.Embeddings;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.output.Response;

class EmbeddingClassifierTest {

    @Test
    void classifiesTicketsItHasNotSeen() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        List<LabelledExample> unseen = TriageFixtures.slice(40, 1); // one per category, not among the 15 trained on
        int right = 0;
        for (LabelledExample e : unseen) {
            Classification c = classifier.classify(new TicketText("", e.text()));
            assertEquals("classifier", c.method());
            assertTrue(c.confidence() > 0 && c.confidence() <= 1);
            assertEquals(3, c.alternatives().size());
            assertTrue(c.alternatives().get(0).confidence() <= c.confidence());
            if (c.category().equals(e.category())) right++;
        }
        // 15 examples per category: far from the full set's 0.93, far above chance (1/77)
        assertTrue(right >= 0.6 * unseen.size(), "right " + right + " of " + unseen.size());
        assertTrue(classifier.categories().containsAll(unseen.stream().map(LabelledExample::category).toList()));
    }

    @Test
    void aCorrectionTakesEffectAtOnceAndSurvivesRetraining() throws Exception {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        String text = "My new card still has not come in the post, it has been three weeks";
        Classification before = classifier.classify(new TicketText("", text));
        String corrected = before.category().equals("card_swallowed") ? "card_not_working" : "card_swallowed";
        long trainings = classifier.trainings();

        classifier.learn(new LabelledExample(text, corrected));

        Classification same = classifier.classify(new TicketText("", text));
        assertEquals(corrected, same.category());
        assertTrue(same.confidence() >= 0.99);
        assertEquals("correction", same.method());
        Classification nearIdentical = classifier.classify(
                new TicketText("", "my new card still has NOT come in the post - it has been three weeks!"));
        assertEquals(corrected, nearIdentical.category());
        assertEquals("correction", nearIdentical.method());
        Classification subjectAndBody = classifier.classify(
                new TicketText("My new card still has not come in the post", "it has been three weeks"));
        assertEquals(corrected, subjectAndBody.category());

        // retraining folds it in, in the background; the correction still holds afterwards
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (classifier.trainings() == trainings && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(classifier.trainings() > trainings, "retrained");
        assertEquals(corrected, classifier.classify(new TicketText("", text)).category());
        // an unrelated ticket is not captured by the correction
        assertNotEquals("correction", classifier.classify(new TicketText("", "How do I change my PIN?")).method());
    }

    @Test
    void retrainingAgainKeepsExamplesAndTheirVectorsInStep() throws Exception {
        List<LabelledExample> examples = TriageFixtures.slice(0, 3);
        try (EmbeddingClassifier c = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples),
                TriageFixtures.encoders(Embeddings.minilm()), TriageFixtures.cacheDir(), TriageFixtures.options())) {
            c.ready().join();
            String[] texts = {"zqxv wplk frum", "blorf quintessa mavu", "trellmop dwizzle karn"};
            for (String text : texts) {
                long before = c.trainings();
                c.learn(new LabelledExample(text, "card_arrival"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (c.trainings() == before && System.nanoTime() < deadline) Thread.sleep(20);
                assertTrue(c.trainings() > before, "retrained after '" + text + "'");
            }
            // every retraining after the first used to stack the earlier corrections' vectors again,
            // out of step with the examples: the vote then read past the end of the examples
            for (String text : List.of("zqxv blorf dwizzle", "quintessa karn wplk", "mavu frum trellmop")) {
                assertTrue(c.categories().contains(c.classify(new TicketText("", text)).category()), text);
            }
            for (LabelledExample e : TriageFixtures.slice(3, 1)) {
                assertTrue(c.categories().contains(c.classify(new TicketText("", e.text())).category()));
            }
            assertEquals(5, c.similar(new TicketText("", "where is my new card"), 5).size());
        }
    }

    @Test
    void aCorrectionMayIntroduceANewCategory() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        classifier.learn(new LabelledExample("Can I pay my rent with crypto through you?", "crypto_payments"));
        assertTrue(classifier.categories().contains("crypto_payments"));
        assertEquals("crypto_payments", classifier.classify(new TicketText("Can I pay my rent with crypto through you", "")).category());
    }

    @Test
    void similarReturnsTheNearestExamplesFirst() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        LabelledExample known = TriageFixtures.slice(0, 15).get(3);
        List<LabelledExample> similar = classifier.similar(new TicketText("", known.text()), 5);
        assertEquals(5, similar.size());
        assertEquals(known, similar.get(0));
        assertEquals(5, similar.stream().map(LabelledExample::text).distinct().count());
    }

    @Test
    void suggestedThresholdRisesWithTheTargetPrecision() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        double loose = classifier.suggestedThreshold(0.5);
        double strict = classifier.suggestedThreshold(0.95);
        assertTrue(loose >= 0 && loose <= 1);
        assertTrue(strict >= loose, loose + " then " + strict);
        assertTrue(strict > loose, "a 95% target must need a higher threshold than 50% with 15 examples a category");
        assertEquals(1.0, classifier.suggestedThreshold(1.01));
        double t = classifier.temperature();
        assertTrue(t > 0.05 && t < 20, "temperature " + t);
    }

    @Test
    void concurrentTicketsAreEmbeddedTogether() throws Exception {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        TriageFixtures.CountingEmbedder embedder = TriageFixtures.sharedEmbedder();
        List<LabelledExample> tickets = TriageFixtures.slice(20, 1).subList(0, 48);
        ExecutorService pool = Executors.newFixedThreadPool(tickets.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            long callsBefore = embedder.calls.get();
            List<Future<Classification>> results = new ArrayList<>();
            for (LabelledExample t : tickets) {
                results.add(pool.submit(() -> {
                    go.await();
                    return classifier.classify(new TicketText("", t.text()));
                }));
            }
            go.countDown();
            for (Future<Classification> f : results) assertTrue(classifier.categories().contains(f.get(60, TimeUnit.SECONDS).category()));
            long calls = embedder.calls.get() - callsBefore;
            assertTrue(calls < tickets.size() / 2, tickets.size() + " tickets took " + calls + " embedAll calls");
        } finally {
            pool.shutdownNow();
        }
    }

    /** MiniLM and BGE, each counting the texts it embeds. */
    private record Counted(TriageFixtures.CountingEmbedder minilm, TriageFixtures.CountingEmbedder bge) {
        static Counted both() {
            return new Counted(new TriageFixtures.CountingEmbedder(Embeddings.minilm()), new TriageFixtures.CountingEmbedder(Embeddings.bge()));
        }

        List<Encoder> encoders() {
            return List.of(new Encoder("minilm", minilm), new Encoder("bge", bge));
        }
    }

    @Test
    void theFirstLookAnswersTheTicketsItIsSureOfWithoutTheSecondEncoder() {
        Counted counted = Counted.both();
        TriageFixtures.CountingEmbedder minilm = counted.minilm(), bge = counted.bge();
        List<LabelledExample> examples = TriageFixtures.slice(0, 15);
        List<Encoder> encoders = counted.encoders();
        List<LabelledExample> tickets = TriageFixtures.slice(20, 2);
        try (EmbeddingClassifier cascade = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), encoders,
                TriageFixtures.cacheDir(), TriageFixtures.options().withRecipe(Recipe.FIRST_LOOK));
             EmbeddingClassifier both = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), encoders,
                     TriageFixtures.cacheDir(), TriageFixtures.options())) {
            cascade.ready().join();
            both.ready().join();
            long minilmBefore = minilm.texts.get();
            long bgeBefore = bge.texts.get();
            int agree = 0;
            for (LabelledExample t : tickets) {
                Classification c = cascade.classify(new TicketText("", t.text()));
                assertEquals("classifier", c.method());
                if (c.category().equals(both.classify(new TicketText("", t.text())).category())) agree++;
            }
            long bgeByCascade = bge.texts.get() - bgeBefore - tickets.size(); // "both" embeds every ticket with BGE once
            long minilmByCascade = minilm.texts.get() - minilmBefore - tickets.size();
            assertEquals(tickets.size(), minilmByCascade, "the first look reads every ticket with MiniLM once");
            assertTrue(bgeByCascade < tickets.size() * 0.7, "BGE read " + bgeByCascade + " of " + tickets.size() + " tickets");
            assertTrue(agree >= tickets.size() * 0.95, "the cascade and the whole recipe agree on " + agree + " of " + tickets.size());
        }
    }

    @Test
    void aLongMailIsReadByItsRequestAndOnlyItsCandidatesReachTheSecondEncoder() {
        TicketText mail = new TicketText("Re: following up", """
                Hello team,

                I have been a customer for about six years and I am generally happy with the service. We moved to
                Leeds in March and things have been hectic since then. I still have not received my new card and it
                has been three weeks since I ordered it. My sister recommended you to me when I opened my account.

                Kind regards,
                Dana Whitfield

                On Tue, 3 Mar 2026 at 10:02, Support <support@example.com> wrote:
                > How do I change my PIN?
                """);
        int chunks = mail.chunks().texts().size();
        Counted counted = Counted.both();
        TriageFixtures.CountingEmbedder minilm = counted.minilm(), bge = counted.bge();
        List<LabelledExample> examples = TriageFixtures.slice(0, 15);
        try (EmbeddingClassifier classifier = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), counted.encoders(),
                TriageFixtures.cacheDir(), TriageFixtures.options())) {
            classifier.ready().join();
            long minilmBefore = minilm.texts.get();
            long bgeBefore = bge.texts.get();
            Classification c = classifier.classify(mail);
            assertEquals("card_arrival", c.category(), "read " + c);
            assertEquals(chunks, minilm.texts.get() - minilmBefore, "the first encoder reads every chunk once");
            long bgeRead = bge.texts.get() - bgeBefore;
            assertTrue(bgeRead >= EmbeddingClassifier.CANDIDATE_CHUNKS && bgeRead < chunks,
                    "the second encoder read " + bgeRead + " of " + chunks + " chunks");
        }
    }

    @Test
    void aShortTicketIsReadWithoutASubjectThatReadsLikeNoRequest() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        String body = "Hi,\nmy new card has still not arrived, it has been two weeks\nThanks,\nAna";
        assertEquals(classifier.classify(new TicketText("", body)), classifier.classify(new TicketText("Question about my account", body)));
        // a subject that reads like a request is read with the body
        String subject = "My new card has not arrived";
        String whole = subject + "\n" + "It has been two weeks now, what should I do?";
        assertEquals(classifier.classify(new TicketText("", whole)),
                classifier.classify(new TicketText(subject, "It has been two weeks now, what should I do?")));
        // a subject is embedded once, however many tickets carry it
        long before = TriageFixtures.sharedEmbedder().texts.get();
        classifier.classify(new TicketText("Urgent, please read (subject cache)", "Why was I charged twice for one coffee?"));
        classifier.classify(new TicketText("Urgent, please read (subject cache)", "How do I change my PIN?"));
        assertEquals(3, TriageFixtures.sharedEmbedder().texts.get() - before, "two bodies and one subject");
    }

    @Test
    void aTicketIsLearnedAsItIsRead() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        String body = "the atm ate my card";
        Classification before = classifier.classify(new TicketText("", body));
        String corrected = before.category().equals("card_not_working") ? "card_about_to_expire" : "card_not_working";
        // learned from its joined text, "Question about my account\nthe atm ate my card" would be too unlike the body
        // alone (cosine under 0.95) for the next such ticket to meet the correction
        classifier.learn(new TicketText("Question about my account", body), corrected);
        // the same body under another subject that reads like no request: the same reading, so the correction holds
        Classification other = classifier.classify(new TicketText("Hello", body));
        assertEquals(corrected, other.category());
        assertEquals("correction", other.method());
        assertThrows(IllegalArgumentException.class, () -> classifier.learn(new TicketText("Hello", body), " "));
    }

    @Test
    void rejectsAnEmptyTicket() {
        EmbeddingClassifier classifier = TriageFixtures.shared();
        assertThrows(IllegalArgumentException.class, () -> classifier.classify(new TicketText("  ", null)));
        assertThrows(IllegalArgumentException.class, () -> classifier.learn(new LabelledExample(" ", "card_arrival")));
    }

    @Test
    void aRestartReusesTheCachedEmbeddingsAndWeights(@TempDir Path cache) {
        List<LabelledExample> examples = TriageFixtures.slice(0, 3);
        TriageFixtures.CountingEmbedder embedder = new TriageFixtures.CountingEmbedder(Embeddings.minilm());
        String first;
        try (EmbeddingClassifier c = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), TriageFixtures.encoders(embedder), cache, TriageFixtures.options())) {
            c.ready().join();
            assertEquals(2 * examples.size(), c.examplesEmbedded(), "each example by MiniLM and by BGE");
            assertEquals(1, c.trainings());
            first = c.classify(new TicketText("", "where is my card")).category();
        }
        long textsBefore = embedder.texts.get();
        try (EmbeddingClassifier c = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), TriageFixtures.encoders(embedder), cache, TriageFixtures.options())) {
            c.ready().join();
            assertEquals(0, c.examplesEmbedded());
            assertEquals(0, c.trainings());
            assertEquals(first, c.classify(new TicketText("", "where is my card")).category());
            assertEquals(1, embedder.texts.get() - textsBefore, "only the ticket was embedded");
        }
        // other examples are another cache entry
        List<LabelledExample> others = TriageFixtures.slice(3, 1);
        try (EmbeddingClassifier c = new EmbeddingClassifier(others, EmbeddingClassifier.keyOf(others), TriageFixtures.encoders(embedder), cache, TriageFixtures.options())) {
            c.ready().join();
            assertEquals(2 * others.size(), c.examplesEmbedded());
        }
    }

    @Test
    void classifyWaitsForTheFirstModelForABoundedTime() {
        CountDownLatch release = new CountDownLatch(1);
        TriageFixtures.CountingEmbedder slowOnExamples = new TriageFixtures.CountingEmbedder(Embeddings.minilm()) {
            @Override
            public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
                if (segments.size() > 1) { // the examples' batches wait; a single ticket goes through
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.embedAll(segments);
            }
        };
        List<LabelledExample> examples = TriageFixtures.slice(0, 2);
        try (EmbeddingClassifier c = new EmbeddingClassifier(examples, EmbeddingClassifier.keyOf(examples), TriageFixtures.encoders(slowOnExamples), null, TriageFixtures.options().withReadyTimeout(Duration.ofMillis(300)))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> c.classify(new TicketText("", "where is my card")));
            assertTrue(e.getMessage().contains("still training"), e.getMessage());
            assertEquals(Set.copyOf(examples.stream().map(LabelledExample::category).toList()), c.categories());
            release.countDown();
            c.ready().join();
            assertTrue(c.categories().contains(c.classify(new TicketText("", "where is my card")).category()));
        }
    }
}
