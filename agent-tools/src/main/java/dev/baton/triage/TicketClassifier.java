package dev.baton.triage;

import java.util.Set;

/**
 * Puts a ticket into one of the routing table's categories. Implementations are thread-safe;
 * {@link #classify} blocks (embedding or a model call) and is called from tool threads.
 */
public interface TicketClassifier {

    /** The category of this ticket and how sure the classifier is. */
    Classification classify(TicketText ticket);

    /**
     * As {@link #classify(TicketText)}, for a tool call of a run: a classifier that asks a model
     * counts the tokens for {@code context.runId()}.
     */
    default Classification classify(TicketText ticket, dev.baton.tools.ToolContext context) {
        return classify(ticket);
    }

    /**
     * Learns from a person who confirmed or corrected a triage: from now on the next ticket like
     * this one is classified the corrected way, without a restart. Keeping the example durably
     * is the caller's job; this only changes what the classifier answers.
     */
    void learn(LabelledExample example);

    /**
     * As {@link #learn(LabelledExample)}, for a ticket as it came, subject and body apart: a classifier that reads a
     * ticket otherwise than as its joined text (a short ticket by its body alone when the subject reads like no
     * request) learns it the way it reads it, so that the next ticket like it meets the correction. By default the
     * joined text is learned.
     *
     * @param ticket   the ticket a person confirmed or corrected
     * @param category its category
     */
    default void learn(TicketText ticket, String category) {
        learn(new LabelledExample(ticket.joined(), category));
    }

    /** The categories {@link #classify} may answer. */
    Set<String> categories();
}
