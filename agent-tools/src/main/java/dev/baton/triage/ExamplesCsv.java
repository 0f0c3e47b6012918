package dev.baton.triage;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes labelled examples as CSV with the header {@code text,category} (RFC 4180: fields
 * with commas, quotes or line breaks are quoted, a quote inside is doubled). A malformed file fails
 * with an {@link IllegalArgumentException} that names the source, the line and the problem.
 */
public final class ExamplesCsv {

    private ExamplesCsv() {
    }

    /** Reads a UTF-8 examples file. */
    public static List<LabelledExample> read(Path file) throws IOException {
        return parse(decode(Files.readAllBytes(file), file.toString()), file.toString());
    }

    /** Decodes UTF-8 strictly: a wrongly encoded file is an error, not silently mangled text. */
    static String decode(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(source + ": not UTF-8 text");
        }
    }

    /**
     * Parses examples CSV content.
     *
     * @param source names the file in error messages
     * @throws IllegalArgumentException naming the line and the problem
     */
    public static List<LabelledExample> parse(String content, String source) {
        if (content.startsWith("\uFEFF")) content = content.substring(1);
        List<LabelledExample> out = new ArrayList<>();
        int pos = 0;
        int line = 1;
        boolean header = true;
        int n = content.length();
        while (pos < n) {
            int recordLine = line;
            List<String> fields = new ArrayList<>(2);
            StringBuilder field = new StringBuilder();
            boolean endOfRecord = false;
            while (!endOfRecord) {
                if (pos < n && content.charAt(pos) == '"') {
                    // quoted field: runs to the closing quote, "" is a literal quote
                    int quoteLine = line;
                    pos++;
                    while (true) {
                        if (pos >= n) {
                            throw error(source, quoteLine, "quoted field is never closed");
                        }
                        char c = content.charAt(pos);
                        if (c == '"') {
                            if (pos + 1 < n && content.charAt(pos + 1) == '"') {
                                field.append('"');
                                pos += 2;
                            } else {
                                pos++;
                                break;
                            }
                        } else {
                            if (c == '\n') line++;
                            field.append(c);
                            pos++;
                        }
                    }
                    if (pos < n && content.charAt(pos) != ',' && content.charAt(pos) != '\n'
                            && content.charAt(pos) != '\r') {
                        throw error(source, line, "unexpected text after a closing quote");
                    }
                } else {
                    while (pos < n) {
                        char c = content.charAt(pos);
                        if (c == ',' || c == '\n' || c == '\r') break;
                        if (c == '"') throw error(source, line, "quote inside an unquoted field (quote the field and double the quote)");
                        field.append(c);
                        pos++;
                    }
                }
                fields.add(field.toString());
                field.setLength(0);
                if (pos >= n) {
                    endOfRecord = true;
                } else {
                    char c = content.charAt(pos);
                    if (c == ',') {
                        pos++;
                    } else {
                        if (c == '\r') pos++;
                        if (pos < n && content.charAt(pos) == '\n') pos++;
                        line++;
                        endOfRecord = true;
                    }
                }
            }
            if (fields.size() == 1 && fields.get(0).isEmpty()) continue; // blank line
            if (header) {
                header = false;
                if (fields.size() != 2 || !fields.get(0).strip().equalsIgnoreCase("text")
                        || !fields.get(1).strip().equalsIgnoreCase("category")) {
                    throw error(source, recordLine, "the header must be text,category, found " + String.join(",", fields));
                }
                continue;
            }
            if (fields.size() != 2) {
                throw error(source, recordLine, "expected 2 fields (text,category), found " + fields.size());
            }
            String text = fields.get(0).strip();
            String category = fields.get(1).strip();
            if (text.isEmpty()) throw error(source, recordLine, "empty text");
            if (category.isEmpty()) throw error(source, recordLine, "empty category");
            out.add(new LabelledExample(text, category));
        }
        if (header) throw new IllegalArgumentException(source + ": empty file, expected the header text,category");
        if (out.isEmpty()) throw new IllegalArgumentException(source + ": no examples after the header");
        return out;
    }

    /** Writes examples as CSV, quoting where RFC 4180 requires it. */
    public static String format(List<LabelledExample> examples) {
        StringBuilder sb = new StringBuilder("text,category\n");
        for (LabelledExample e : examples) {
            sb.append(quote(e.text())).append(',').append(quote(e.category())).append('\n');
        }
        return sb.toString();
    }

    private static String quote(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private static IllegalArgumentException error(String source, int line, String problem) {
        return new IllegalArgumentException(source + ": line " + line + ": " + problem);
    }
}
