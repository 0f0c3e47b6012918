package dev.baton.triage;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A ticket's text as a classifier reads it.
 *
 * @param subject the subject line, may be empty
 * @param body    the body, may be empty (but not both)
 */
public record TicketText(String subject, String body) {

    /** "Re:", "Fwd:", "AW:", "[Ticket #123]"... at the start of a subject, as often as they repeat. */
    private static final Pattern SUBJECT_PREFIX = Pattern.compile(
            "^(\\s*((re|fw|fwd|aw|wg|tr|sv|vs|antw|rif|r)\\s?(\\[\\d{1,3}])?\\s?:|\\[[^\\]]{0,60}]|\\(no subject\\)))+\\s*",
            Pattern.CASE_INSENSITIVE);

    /** A cleaned text up to this long is classified whole: 99% of BANKING77's one-liners are shorter. */
    public static final int SINGLE_TEXT_CHARS = 250;

    /** A chunk longer than this keeps its head and tail (one run-on "sentence" must not cost seconds to embed). */
    public static final int MAX_CHUNK_CHARS = 600;

    /** {@link #classifierText()} keeps at most this much, head and tail: about one 512-word-piece window. */
    public static final int MAX_TEXT_CHARS = 2_000;

    /** At most this many chunks: the first and last half of them when a ticket has more, so its end stays in. */
    public static final int MAX_CHUNKS = 64;

    /** How a classifier turns the answers for a ticket's chunks into one. */
    public enum Pooling {
        /** There is one text: classify it. */
        SINGLE,
        /**
         * A short ticket with a subject of its own and a body: the texts are the whole ticket, the subject and the
         * body. Classify the whole when the subject reads like a request itself ("Card not arrived"), else the body
         * alone ({@link Chunks#subjectOrBody}): a generic subject ("Question about my account", "Urgent") says nothing
         * of the request but draws the classifier towards the categories it happens to sit near.
         */
        SUBJECT_IF_REQUEST,
        /**
         * Classify the chunk most like one of the labelled examples, the part of the mail that reads
         * most like a known request, or a longer chunk holding it that is nearly as like one: the
         * {@linkplain TicketText#candidates candidates} by a first encoder, the choice among them
         * by {@link TicketText#chosen}.
         */
        NEAREST_EXAMPLE
    }

    /**
     * The texts to embed for a ticket and how to combine them.
     *
     * @param texts   one or more texts, none empty
     * @param pooling how the classifier picks or combines their answers
     */
    public record Chunks(List<String> texts, Pooling pooling) {
        public Chunks {
            texts = List.copyOf(texts);
            if (texts.isEmpty()) throw new IllegalArgumentException("no texts");
            if (pooling == Pooling.SUBJECT_IF_REQUEST && texts.size() != 3) {
                throw new IllegalArgumentException("a subject-or-body reading has the whole, the subject and the body, not " + texts);
            }
        }

        /**
         * For {@link Pooling#SUBJECT_IF_REQUEST}: the whole ticket when the subject's likeness to a labelled example
         * reaches the floor, else the body alone.
         *
         * @param subjectLikeness the subject's highest similarity to a labelled example
         * @param floor           the least likeness of a subject that reads like a request
         */
        public String subjectOrBody(double subjectLikeness, double floor) {
            if (pooling != Pooling.SUBJECT_IF_REQUEST) throw new IllegalStateException("not a subject-or-body reading: " + pooling);
            return subjectLikeness >= floor ? texts.get(0) : texts.get(2);
        }
    }

    public TicketText {
        subject = subject == null ? "" : subject.strip();
        body = body == null ? "" : body.strip();
    }

    /** Subject and body as one text, the way examples are embedded. */
    public String joined() {
        if (subject.isEmpty()) return body;
        if (body.isEmpty()) return subject;
        return subject + "\n" + body;
    }

    /** The subject without reply and forward prefixes ("Re: Fwd: [Ticket #12] Card" is "Card"). */
    public String cleanSubject() {
        String s = subject.length() > EmailText.MAX_LINE_CHARS ? subject.substring(0, EmailText.MAX_LINE_CHARS) : subject;
        return EmailText.collapse(SUBJECT_PREFIX.matcher(s).replaceFirst(""));
    }

    /**
     * The ticket as one text: the {@linkplain #cleanSubject() subject} and the
     * {@linkplain #cleanBody() cleaned body} on two lines, at most {@link #MAX_TEXT_CHARS} (its head
     * and tail beyond that). A short one is what the classifier embeds; a longer one is better
     * read as {@link #chunks()}.
     */
    public String classifierText() {
        return classifierText(cleanSubject(), cleanBody(), MAX_TEXT_CHARS);
    }

    /** Subject and body on two lines; with {@code maxChars > 0}, a longer text keeps its head and tail. */
    static String classifierText(String subject, String body, int maxChars) {
        String text = subject.isEmpty() ? body : body.isEmpty() ? subject : subject + "\n" + body;
        return maxChars > 0 ? headAndTail(text, maxChars) : text;
    }

    /** The text if it has at most {@code max} characters, else its first and last {@code max / 2}, cut at spaces. */
    public static String headAndTail(String text, int max) {
        if (text.length() <= max) return text;
        int half = max / 2;
        int headEnd = text.lastIndexOf(' ', half);
        if (headEnd < half / 2) headEnd = half;
        int tailStart = text.indexOf(' ', text.length() - half);
        if (tailStart < 0 || tailStart > text.length() - half / 2) tailStart = text.length() - half;
        return text.substring(0, headEnd).strip() + " ... " + text.substring(tailStart).strip();
    }

    /**
     * What the classifier embeds for this ticket: the {@link #classifierText()} alone when it is
     * short (a one-liner, {@link Pooling#SINGLE}), or it or the body alone, as the subject reads like a
     * request or not, when a short ticket has a subject of its own ({@link Pooling#SUBJECT_IF_REQUEST}); otherwise the whole text if it is still shorter than
     * {@link #MAX_CHUNK_CHARS}, the cleaned subject (unless it only {@linkplain #repeatsBody repeats the
     * body's first words}), each sentence of the
     * cleaned body and each pair of neighbouring sentences, for the classifier to pick the one most
     * like a labelled example ({@link Pooling#NEAREST_EXAMPLE}). At most {@link #MAX_CHUNKS} chunks of
     * at most {@link #MAX_CHUNK_CHARS} characters.
     *
     * @throws IllegalArgumentException if subject and body are both empty
     */
    public Chunks chunks() {
        String s = cleanSubject();
        String body = cleanBody();
        String whole = classifierText(s, body, MAX_TEXT_CHARS);
        if (whole.isEmpty()) {
            // no letter or digit anywhere ("???"): the raw text, as the classifier always read it
            if (joined().isEmpty()) throw new IllegalArgumentException("the ticket has neither subject nor body");
            return new Chunks(List.of(headAndTail(joined(), MAX_TEXT_CHARS)), Pooling.SINGLE);
        }
        if (whole.length() <= SINGLE_TEXT_CHARS) {
            if (s.isEmpty() || body.isEmpty() || repeatsBody(s, EmailText.sentences(body))) return new Chunks(List.of(whole), Pooling.SINGLE);
            return new Chunks(List.of(whole, s, body), Pooling.SUBJECT_IF_REQUEST);
        }
        List<String> out = new ArrayList<>();
        // a short ticket of several sentences may read best whole (a one-liner of three sentences)
        if (whole.length() <= MAX_CHUNK_CHARS) out.add(whole);
        List<String> sentences = EmailText.sentences(body);
        if (!s.isEmpty() && !repeatsBody(s, sentences)) out.add(headAndTail(s, MAX_CHUNK_CHARS));
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            pieces.add(headAndTail(sentences.get(i), MAX_CHUNK_CHARS));
            if (i + 1 < sentences.size()) {
                pieces.add(headAndTail(sentences.get(i) + " " + sentences.get(i + 1), MAX_CHUNK_CHARS));
            }
        }
        int room = MAX_CHUNKS - out.size();
        if (pieces.size() > room) {
            out.addAll(pieces.subList(0, room / 2));
            out.addAll(pieces.subList(pieces.size() - (room - room / 2), pieces.size()));
        } else {
            out.addAll(pieces);
        }
        return new Chunks(out, Pooling.NEAREST_EXAMPLE);
    }

    /**
     * Whether the subject is the first words of one of the body's sentences, as forms and mail clients
     * fill it: read alone, that cut-off sentence ("When will my transfer") reads like another request
     * than the whole one, which the body's chunks hold already.
     */
    static boolean repeatsBody(String subject, List<String> sentences) {
        String s = lowerCollapsed(subject).replaceAll("[\\p{Punct}\\s]+$", "");
        if (s.isEmpty()) return false;
        for (String sentence : sentences) if (lowerCollapsed(sentence).startsWith(s)) return true;
        return false;
    }

    private static String lowerCollapsed(String text) {
        return EmailText.collapse(text).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Which of a long ticket's {@link #chunks()} (or of its {@linkplain #candidates candidates}) the
     * classifier reads, given how like a labelled example each one is (its highest cosine similarity to
     * one, to which the classifier adds a little of its confidence in the chunk): the most like one,
     * unless a longer chunk that contains it is nearly as like one (by at most {@code reach} less). A
     * request of two sentences is then read whole rather than by the one sentence that happens to match
     * an example best ("I found my lost card." of "I found my lost card. Can I still use it?"), while a
     * sentence of chatter beside the request costs a pair more likeness than that.
     *
     * @param texts    the chunks
     * @param likeness each chunk's score: its highest similarity to a labelled example, or more
     * @param reach    how much less a longer chunk holding the best one may score
     * @return the index of the chunk to read
     */
    static int chosen(List<String> texts, float[] likeness, double reach) {
        if (texts.size() != likeness.length) throw new IllegalArgumentException(texts.size() + " chunks, " + likeness.length + " likenesses");
        int best = 0;
        for (int i = 1; i < likeness.length; i++) if (likeness[i] > likeness[best]) best = i;
        int chosen = best;
        for (int i = 0; i < likeness.length; i++) {
            if (likeness[i] >= likeness[best] - reach && texts.get(i).length() > texts.get(chosen).length()
                    && texts.get(i).contains(texts.get(best))) {
                chosen = i;
            }
        }
        return chosen;
    }

    /**
     * Which of a long ticket's {@link #chunks()} are worth a closer look: the {@code top} most like a
     * labelled example by a cheap first reading, and every chunk that holds one of them (the
     * candidates {@link #chosen} may widen to).
     *
     * @param texts    the chunks
     * @param likeness each chunk's highest similarity to a labelled example, by the first reading
     * @param top      how many of the most alike chunks to keep
     * @return the candidates' indices, in the chunks' order
     */
    static List<Integer> candidates(List<String> texts, float[] likeness, int top) {
        if (texts.size() != likeness.length) throw new IllegalArgumentException(texts.size() + " chunks, " + likeness.length + " likenesses");
        if (top < 1) throw new IllegalArgumentException("top must be at least 1, was " + top);
        Integer[] order = new Integer[likeness.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // most alike first; the earlier chunk first among equals, so the choice does not depend on the sort
        java.util.Arrays.sort(order, (a, b) -> likeness[a] != likeness[b] ? Float.compare(likeness[b], likeness[a]) : Integer.compare(a, b));
        List<Integer> kept = List.of(order).subList(0, Math.min(top, order.length));
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (kept.contains(i) || kept.stream().anyMatch(k -> text.contains(texts.get(k)))) out.add(i);
        }
        return out;
    }

    /** The body's request, without greeting, quotes, signature and disclaimer: {@link EmailText#clean}. */
    public String cleanBody() {
        return EmailText.clean(body);
    }
}
