package dev.baton.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.baton.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The size of a JSON value as {@link Json#MAPPER} writes it (compact UTF-8), counted from the
 * tree without writing it: the {@link PlanValidator}'s size limits need the figure for every
 * plan and every task's arguments, and writing a 10,000-task plan only to count its bytes was a
 * large share of accepting it.
 *
 * <p>Exact by construction: what is counted here is only what the writer's output is plain
 * about (structure, {@code true}, {@code false}, {@code null}, whole numbers, and strings of
 * characters that are written as themselves, as {@code \"} or {@code \\}, or as two or three
 * UTF-8 bytes); anything else (a control character or a surrogate in a string, a fractional or
 * big number, binary and POJO nodes) is handed to the writer itself, that value alone.
 */
final class JsonSize {

    private JsonSize() {
    }

    /** The bytes {@code Json.MAPPER.writeValue(out, value)} would write. */
    static long of(JsonNode value) {
        if (value == null) return writtenSize(null);
        JsonNodeType type = value.getNodeType();
        switch (type) {
            case OBJECT -> {
                long size = 2; // { }
                int fields = 0;
                for (Map.Entry<String, JsonNode> field : value.properties()) {
                    size += string(field.getKey()) + 1 + of(field.getValue()); // "key":value
                    fields++;
                }
                return size + Math.max(0, fields - 1); // commas
            }
            case ARRAY -> {
                int count = value.size();
                long size = 2 + Math.max(0, count - 1);
                for (int i = 0; i < count; i++) size += of(value.get(i));
                return size;
            }
            case STRING -> {
                return string(value.textValue());
            }
            case BOOLEAN -> {
                return value.booleanValue() ? 4 : 5;
            }
            case NULL -> {
                return 4;
            }
            case NUMBER -> {
                if (value.isInt() || value.isShort()) return decimalDigits(value.intValue());
                if (value.isLong()) return decimalDigits(value.longValue());
                return writtenSize(value);
            }
            default -> {
                return writtenSize(value);
            }
        }
    }

    /**
     * The bytes of {@code object}, counting {@code size} for the value of its field {@code field}
     * instead of walking it: for a value counted already.
     */
    static long ofObject(JsonNode object, String field, long size) {
        long total = 2;
        int fields = 0;
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
            total += string(entry.getKey()) + 1 + (entry.getKey().equals(field) ? size : of(entry.getValue()));
            fields++;
        }
        return total + Math.max(0, fields - 1);
    }

    /** A string with its quotes, or the writer's count when it holds a character escaped as {@code \\uXXXX}. */
    private static long string(String text) {
        long size = 2;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                if (c < 0x20) return writtenSize(Json.MAPPER.getNodeFactory().textNode(text)); // \n, \t, \u0001...
                size += c == '"' || c == '\\' ? 2 : 1;
            } else if (c < 0x800) {
                size += 2;
            } else if (Character.isSurrogate(c)) {
                return writtenSize(Json.MAPPER.getNodeFactory().textNode(text)); // escaped or paired: the writer says
            } else {
                size += 3;
            }
        }
        return size;
    }

    private static int decimalDigits(int value) {
        return value == Integer.MIN_VALUE ? 11 : value < 0 ? 1 + decimalDigits(-value) : digits(value);
    }

    private static int decimalDigits(long value) {
        if (value == Long.MIN_VALUE) return 20;
        if (value < 0) return 1 + decimalDigits(-value);
        int digits = 1;
        while (value >= 10) {
            value /= 10;
            digits++;
        }
        return digits;
    }

    private static int digits(int value) {
        int digits = 1;
        while (value >= 10) {
            value /= 10;
            digits++;
        }
        return digits;
    }

    /** Writes {@code value} to a stream that only counts. */
    static long writtenSize(JsonNode value) {
        long[] count = {0};
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        try {
            Json.MAPPER.writeValue(counter, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count[0];
    }
}
