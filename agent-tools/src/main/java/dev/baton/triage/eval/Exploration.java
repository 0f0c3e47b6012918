package dev.baton.triage.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import dev.baton.triage.ChunkSelector;
import dev.baton.triage.Classification;
import dev.baton.triage.EmailText;
import dev.baton.triage.TicketText;

/**
 * The other ways of reading a long ticket that {@code LongTicketEval --explore true} measures, each
 * with the classifier as it is (one text in): they are how {@link TicketText#chunks()} was chosen.
 */
final class Exploration {

    private Exploration() {
    }

    static List<LongTicketEval.Variant> variants(Function<TicketText, Classification> c, ChunkSelector selector) {
        List<LongTicketEval.Variant> v = new ArrayList<>();
        v.add(new LongTicketEval.Variant("cleaned body only (no subject)",
                t -> c.apply(new TicketText("", t.ticket().cleanBody()))));
        v.add(new LongTicketEval.Variant("cleaned body, then the subject",
                t -> c.apply(new TicketText("", t.ticket().cleanBody() + "\n" + t.ticket().cleanSubject()))));
        for (int max : new int[]{400, 800}) {
            v.add(new LongTicketEval.Variant("subject + cleaned body, head and tail " + max + " chars",
                    t -> c.apply(new TicketText("", TicketText.headAndTail(t.ticket().classifierText(), max)))));
        }
        v.add(subjectAndChunk(c, selector));
        v.add(new LongTicketEval.Variant("chunks: 2-sentence windows, most confident",
                t -> LongTicketEval.combine(windows(t.ticket()).stream().map(s -> c.apply(new TicketText("", s))).toList(), true)));
        v.add(new LongTicketEval.Variant("chunks: 2-sentence windows, summed probabilities",
                t -> LongTicketEval.combine(windows(t.ticket()).stream().map(s -> c.apply(new TicketText("", s))).toList(), false)));
        return v;
    }

    static LongTicketEval.Variant subjectAndChunk(Function<TicketText, Classification> c, ChunkSelector selector) {
        return new LongTicketEval.Variant("long tickets, subject + selected chunk",
                t -> {
                    String chosen = selector.select(t.ticket().chunks());
                    String s = t.ticket().cleanSubject();
                    return c.apply(new TicketText("", s.isEmpty() || chosen.contains(s) ? chosen : s + "\n" + chosen));
                });
    }

    static List<String> windows(TicketText t) {
        List<String> s = EmailText.sentences(t.cleanBody());
        List<String> out = new ArrayList<>();
        if (s.size() <= 1) out.addAll(s);
        for (int i = 0; i + 1 < s.size(); i++) out.add(s.get(i) + " " + s.get(i + 1));
        if (out.isEmpty()) out.add(t.classifierText());
        return out;
    }
}
