package dev.baton.triage;

/**
 * A ticket's text as a classifier reads it.
 *
 * @param subject the subject line, may be empty
 * @param body    the body, may be empty (but not both)
 */
public record TicketText(String subject, String body) {

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
}
