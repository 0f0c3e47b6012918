package dev.baton.plan.llm;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the JSON object in a model's answer. Models asked for JSON mostly answer with JSON
 * alone, but some wrap it in prose or in a {@code ```json} fence; this takes, in order: the
 * whole answer when it is an object, the content of the first fence that holds an object, or
 * the first balanced {@code {...}} in the text (braces inside strings are skipped).
 */
final class JsonAnswer {

    private static final Pattern FENCE = Pattern.compile("```[A-Za-z0-9_-]*\\s*\\n?(.*?)```", Pattern.DOTALL);

    private JsonAnswer() {
    }

    /** The text of the JSON object in the answer, or null when there is none (not even a broken one). */
    static String extract(String answer) {
        if (answer == null) return null;
        String text = answer.strip();
        if (text.isEmpty()) return null;
        if (text.startsWith("{") && text.endsWith("}")) return text;
        Matcher fence = FENCE.matcher(text);
        while (fence.find()) {
            String inside = fence.group(1).strip();
            if (inside.startsWith("{")) return inside;
        }
        int start = text.indexOf('{');
        if (start < 0) return null;
        int end = balancedEnd(text, start);
        // An object that never closes (e.g. a truncated answer) is returned whole, so that the parser names the fault.
        return end < 0 ? text.substring(start) : text.substring(start, end + 1);
    }

    /** The index of the brace that closes the one at {@code start}, or -1. */
    private static int balancedEnd(String text, int start) {
        int depth = 0;
        boolean inString = false;
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }
}
