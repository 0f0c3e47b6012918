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

    /** The categories {@link #classify} may answer. */
    Set<String> categories();
}
