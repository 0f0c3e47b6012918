package dev.baton.runtime.journal;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * A position in the runs list (newest first): the last run of a page. The next page holds the
 * runs strictly after it in the order {@code createdAt DESC, id DESC}, so runs created while a
 * client pages never shift the pages it has not read yet: no duplicates, no gaps.
 *
 * <p>Opaque to clients: URL-safe base64 of {@code epochSecond:nano:id}.
 */
record RunCursor(Instant createdAt, String id) {

    static RunCursor after(RunRecord run) {
        return new RunCursor(run.createdAt(), run.id());
    }

    String encode() {
        String plain = createdAt.getEpochSecond() + ":" + createdAt.getNano() + ":" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a cursor from {@link #encode()}; null stays null. */
    static RunCursor decode(String cursor) {
        if (cursor == null) return null;
        try {
            String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = plain.split(":", 3);
            return new RunCursor(Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])), parts[2]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid cursor '" + cursor + "': pass the 'next' value of the previous page unchanged");
        }
    }
}
