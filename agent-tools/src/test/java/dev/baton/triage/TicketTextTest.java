package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class TicketTextTest {

    @Test
    void joinedIsUnchanged() {
        TicketText t = new TicketText(" Re: Card ", "Hi,\n\nIt never came.\n\nThanks,\nAna");
        assertEquals("Re: Card\nHi,\n\nIt never came.\n\nThanks,\nAna", t.joined());
    }

    @Test
    void classifierTextIsTheSubjectWithoutPrefixesThenTheCleanedBody() {
        TicketText t = new TicketText("RE: Fwd: [Ticket #123] Card not arrived",
                "Hi,\n\nIt has been two weeks.\n\nThanks,\nAna\n\nOn Mon, 3 Jun 2024 at 10:02, Support <s@x.com> wrote:\n> How can we help?");
        assertEquals("Card not arrived", t.cleanSubject());
        assertEquals("Card not arrived\nIt has been two weeks.", t.classifierText());
    }

    @Test
    void anEmptySubjectOrBodyLeavesTheOther() {
        assertEquals("My card is lost.", new TicketText("", "Hello,\nMy card is lost.\nRegards,\nTom").classifierText());
        assertEquals("Card lost", new TicketText("Re: Card lost", "").classifierText());
        assertEquals("Card lost", new TicketText("Card lost", "> \n").classifierText());
    }

    @Test
    void aSubjectThatIsOnlyPrefixesCountsAsEmpty() {
        assertEquals("", new TicketText("Re: (no subject)", "x").cleanSubject());
        assertEquals("Top up failed", new TicketText("AW: WG: Top up failed", "x").cleanSubject());
    }

    @Test
    void headAndTailKeepsBothEndsOfALongText() {
        String text = "start " + "filler ".repeat(500) + "end of the request";
        String bounded = TicketText.headAndTail(text, 200);
        assertEquals(true, bounded.length() <= 205, bounded);
        assertEquals(true, bounded.startsWith("start filler"), bounded);
        assertEquals(true, bounded.endsWith("end of the request"), bounded);
        assertEquals("short", TicketText.headAndTail("short", 200));
    }

    @Test
    void aOneLinerIsOneChunk() {
        TicketText.Chunks c = new TicketText("", "Hi,\nWhere is my card? I ordered it last week.\nThanks,\nAna").chunks();
        assertEquals(TicketText.Pooling.SINGLE, c.pooling());
        assertEquals(List.of("Where is my card? I ordered it last week."), c.texts());
        assertEquals(List.of("Where is my card?"), new TicketText("Re: Where is my card?", "").chunks().texts());
        // a subject that is only the body's first words adds nothing to choose between
        c = new TicketText("Where is my card", "Where is my card? I ordered it last week.").chunks();
        assertEquals(TicketText.Pooling.SINGLE, c.pooling());
    }

    @Test
    void aShortTicketWithASubjectOfItsOwnIsReadWholeOrByItsBody() {
        TicketText.Chunks c = new TicketText("Fwd: Card", "Hi,\nWhere is my card? I ordered it last week.\nThanks,\nAna").chunks();
        assertEquals(TicketText.Pooling.SUBJECT_IF_REQUEST, c.pooling());
        assertEquals(List.of("Card\nWhere is my card? I ordered it last week.", "Card", "Where is my card? I ordered it last week."),
                c.texts());
        // rows: the subject's likeness, the floor, the text read
        record Row(double likeness, double floor, String read) {
        }
        for (Row r : List.of(new Row(0.9, 0.7, c.texts().get(0)), new Row(0.7, 0.7, c.texts().get(0)),
                new Row(0.69, 0.7, c.texts().get(2)), new Row(0.2, 0.7, c.texts().get(2)))) {
            assertEquals(r.read(), c.subjectOrBody(r.likeness(), r.floor()), r.toString());
        }
        assertThrows(IllegalStateException.class, () -> new TicketText("", "Where is my card?").chunks().subjectOrBody(1, 0.7));
        assertThrows(IllegalArgumentException.class,
                () -> new TicketText.Chunks(List.of("a", "b"), TicketText.Pooling.SUBJECT_IF_REQUEST));
    }

    @Test
    void aLongTicketIsTheSubjectTheSentencesAndTheirPairs() {
        String filler = "We moved to Leeds in June and things have been hectic since. ".repeat(4);
        TicketText t = new TicketText("Re: Help", "Hello,\n\n" + filler + "\n\nWhy was I charged twice?\n\nRegards,\nTom\n\n"
                + "On Mon, 3 Jun 2024 at 10:02, Support <s@x.com> wrote:\n> How do I top up?");
        TicketText.Chunks c = t.chunks();
        assertEquals(TicketText.Pooling.NEAREST_EXAMPLE, c.pooling());
        assertEquals(t.classifierText(), c.texts().get(0)); // short enough to compete whole
        assertEquals("Help", c.texts().get(1));
        assertTrue(c.texts().contains("Why was I charged twice?"), c.texts()::toString);
        assertTrue(c.texts().contains("We moved to Leeds in June and things have been hectic since. Why was I charged twice?"),
                c.texts()::toString);
        assertTrue(c.texts().stream().noneMatch(x -> x.contains("top up") || x.contains("Tom")), c.texts()::toString);
        assertEquals(1 + 1 + 5 + 4, c.texts().size()); // whole, subject, 5 sentences, 4 neighbouring pairs
    }

    @Test
    void aSubjectThatIsTheFirstWordsOfASentenceOfTheBodyIsNoChunkOfItsOwn() {
        String filler = "We moved to Leeds in June and things have been hectic since. ".repeat(4);
        String body = "Hello,\n\n" + filler + "\n\nWhen will my transfer arrive? It has been days.\n\nRegards,\nTom";
        for (String subject : List.of("When will my transfer", "Re: when  will my TRANSFER...", "we moved to Leeds")) {
            List<String> texts = new TicketText(subject, body).chunks().texts();
            assertTrue(texts.stream().noneMatch(x -> x.equalsIgnoreCase(new TicketText(subject, "").cleanSubject())),
                    subject + ": " + texts);
            assertTrue(texts.contains("When will my transfer arrive?"), texts::toString);
        }
        // a subject of its own words, even ones the body uses further in, stays a chunk
        for (String subject : List.of("Transfer missing", "transfer arrive", "Help")) {
            assertTrue(new TicketText(subject, body).chunks().texts().contains(subject), subject);
        }
    }

    /** Rows: chunks, their likeness to a labelled example, the reach, the index chosen. */
    @Test
    void theChunkReadIsTheMostLikeAnExampleOrALongerOneHoldingItThatIsNearlyAsLikeOne() {
        List<String> texts = List.of("Help", "I found my lost card.", "Can I still use it?",
                "I found my lost card. Can I still use it?", "We moved in June. I found my lost card.");
        record Row(float[] likeness, double reach, int chosen) {
        }
        List<Row> rows = List.of(
                new Row(new float[]{0.5f, 0.90f, 0.70f, 0.87f, 0.80f}, 0.04, 3),  // the whole request is nearly as like one
                new Row(new float[]{0.5f, 0.90f, 0.70f, 0.85f, 0.80f}, 0.04, 1),  // too far below: the sentence alone
                new Row(new float[]{0.5f, 0.90f, 0.70f, 0.87f, 0.80f}, 0.0, 1),   // no reach: the most alike
                new Row(new float[]{0.5f, 0.90f, 0.70f, 0.89f, 0.895f}, 0.04, 3), // both hold it: the longer
                new Row(new float[]{0.5f, 0.80f, 0.90f, 0.88f, 0.89f}, 0.04, 3),  // only a chunk holding the best counts
                new Row(new float[]{0.95f, 0.90f, 0.70f, 0.94f, 0.80f}, 0.04, 0), // nothing holds "Help"
                new Row(new float[]{0.5f, 0.90f, 0.70f, 0.92f, 0.80f}, 0.04, 3)); // more alike and longer
        for (Row r : rows) assertEquals(r.chosen(), TicketText.chosen(texts, r.likeness(), r.reach()), java.util.Arrays.toString(r.likeness()));
        assertThrows(IllegalArgumentException.class, () -> TicketText.chosen(texts, new float[2], 0.04));
    }

    /** Rows: the chunks' likeness by a first reading, how many to keep, the candidates. */
    @Test
    void theCandidatesAreTheMostAlikeChunksAndTheChunksHoldingThem() {
        List<String> texts = List.of("Help", "I found my lost card.", "Can I still use it?",
                "I found my lost card. Can I still use it?", "We moved in June. I found my lost card.", "We moved in June.");
        record Row(float[] likeness, int top, List<Integer> candidates) {
        }
        List<Row> rows = List.of(
                new Row(new float[]{0.5f, 0.9f, 0.7f, 0.8f, 0.6f, 0.4f}, 1, List.of(1, 3, 4)),  // the best and both pairs holding it
                new Row(new float[]{0.5f, 0.6f, 0.9f, 0.8f, 0.7f, 0.4f}, 1, List.of(2, 3)),     // only the pair holding it
                new Row(new float[]{0.9f, 0.6f, 0.7f, 0.8f, 0.5f, 0.4f}, 1, List.of(0)),        // nothing holds "Help"
                new Row(new float[]{0.9f, 0.6f, 0.7f, 0.8f, 0.5f, 0.4f}, 2, List.of(0, 3)),     // a pair is kept by its own likeness
                new Row(new float[]{0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, 1, List.of(0)),        // ties: the earliest
                new Row(new float[]{0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, 1, List.of(4, 5)),     // a sentence at the start of a pair
                new Row(new float[]{0.5f, 0.9f, 0.7f, 0.8f, 0.6f, 0.4f}, 9, List.of(0, 1, 2, 3, 4, 5))); // more than there are
        for (Row r : rows) {
            assertEquals(r.candidates(), TicketText.candidates(texts, r.likeness(), r.top()), java.util.Arrays.toString(r.likeness()));
        }
        assertThrows(IllegalArgumentException.class, () -> TicketText.candidates(texts, new float[2], 1));
        assertThrows(IllegalArgumentException.class, () -> TicketText.candidates(texts, new float[6], 0));
    }

    @Test
    void aVeryLongTicketKeepsItsEndInTheChunks() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 200; i++) b.append("Some chatter about nothing in particular, number ").append(i).append(".\n");
        b.append("My card was declined at the shop.");
        TicketText.Chunks c = new TicketText("", b.toString()).chunks();
        assertEquals(TicketText.MAX_CHUNKS, c.texts().size());
        assertEquals("My card was declined at the shop.", c.texts().get(c.texts().size() - 1));
        assertTrue(c.texts().stream().allMatch(x -> x.length() <= TicketText.MAX_CHUNK_CHARS + 5));
    }

    @Test
    void aTicketWithoutWordsIsItsRawTextAndAnEmptyOneIsRefused() {
        assertEquals(List.of("???"), new TicketText("", "???").chunks().texts());
        assertThrows(IllegalArgumentException.class, () -> new TicketText(" ", "").chunks());
    }

    @Test
    void classifierTextIsBounded() {
        String t = new TicketText("", "word ".repeat(5_000) + "the end").classifierText();
        assertTrue(t.length() <= TicketText.MAX_TEXT_CHARS + 5 && t.endsWith("the end"), t.length() + "");
    }
}
