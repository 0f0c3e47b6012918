package dev.baton.runtime.trigger;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A path into an event's JSON payload, for {@code inputMapping}: {@code $} is the whole payload,
 * {@code .name} a field, {@code ["any name"]} a field whose name is not a plain word, {@code [2]}
 * an array element. For example {@code $.ticket.customer["e-mail"]} or {@code $.items[0].sku}.
 *
 * <p>Nothing else: no wildcards, filters, functions or expressions. A path only reads the payload,
 * and one that leads nowhere yields nothing.
 */
public final class PayloadPath {
    /** Longer paths are refused: they are a mistake, not a need. */
    static final int MAX_SEGMENTS = 32;

    private final String text;
    /** Each a String (field) or an Integer (array index). */
    private final List<Object> segments;

    private PayloadPath(String text, List<Object> segments) {
        this.text = text;
        this.segments = segments;
    }

    /**
     * Parses a path.
     *
     * @throws IllegalArgumentException saying where the path went wrong
     */
    public static PayloadPath parse(String text) {
        if (text == null || !text.startsWith("$")) {
            throw new IllegalArgumentException("a payload path starts with '$' (the payload), e.g. '$.ticket.id'; got '" + text + "'");
        }
        List<Object> segments = new ArrayList<>();
        int i = 1;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '.') {
                int start = ++i;
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_' || text.charAt(i) == '-')) i++;
                if (i == start) throw bad(text, start, "a field name after '.' (letters, digits, '_' or '-'; use [\"...\"] for others)");
                segments.add(text.substring(start, i));
            } else if (c == '[') {
                i++;
                if (i < n && text.charAt(i) == '"') {
                    StringBuilder name = new StringBuilder();
                    i++;
                    while (i < n && text.charAt(i) != '"') {
                        if (text.charAt(i) == '\\' && i + 1 < n) i++;
                        name.append(text.charAt(i++));
                    }
                    if (i >= n) throw bad(text, i, "a closing '\"'");
                    i++;
                    segments.add(name.toString());
                } else {
                    int start = i;
                    while (i < n && Character.isDigit(text.charAt(i))) i++;
                    if (i == start || i - start > 9) throw bad(text, start, "an array index (0, 1, ...) or a quoted field name");
                    segments.add(Integer.parseInt(text.substring(start, i)));
                }
                if (i >= n || text.charAt(i) != ']') throw bad(text, i, "']'");
                i++;
            } else {
                throw bad(text, i, "'.' or '['");
            }
            if (segments.size() > MAX_SEGMENTS) throw new IllegalArgumentException("the payload path '" + text + "' is longer than "
                    + MAX_SEGMENTS + " steps");
        }
        return new PayloadPath(text, List.copyOf(segments));
    }

    private static IllegalArgumentException bad(String text, int at, String expected) {
        return new IllegalArgumentException("the payload path '" + text + "' needs " + expected + " at position " + (at + 1));
    }

    /** The value at this path, or null when the payload has nothing there. */
    public JsonNode read(JsonNode payload) {
        JsonNode node = payload;
        for (Object segment : segments) {
            if (node == null) return null;
            if (segment instanceof Integer index) {
                node = node.isArray() ? node.get(index) : null;
            } else {
                node = node.isObject() ? node.get((String) segment) : null;
            }
        }
        return node;
    }

    @Override
    public String toString() {
        return text;
    }
}
