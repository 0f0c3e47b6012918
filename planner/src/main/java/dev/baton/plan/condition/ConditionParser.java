package dev.baton.plan.condition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a task's {@code when} condition. The grammar, loosest binding first:
 * <pre>
 * condition  := or
 * or         := and ("or" and)*
 * and        := not ("and" not)*
 * not        := "not" not | comparison
 * comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "not"? "in" operand)?
 * operand    := number | string | "true" | "false" | "null" | list | reference
 *             | "exists" "(" reference ")" | "(" condition ")"
 * list       := "[" (condition ("," condition)*)? "]"
 * reference  := "input" path | task-id "." ("output" path | "error" path | "status")
 * path       := ("." name | "[" digits "]")*
 * </pre>
 * Strings are in single or double quotes with backslash escapes ({@code \" \' \\ \n \t}).
 * Hand-written and total: every input either parses or fails with a {@link ConditionException}
 * that says what and where; nothing is ever executed.
 */
public final class ConditionParser {

    /** A condition longer than this is refused: it is a plan field, not a program. */
    public static final int MAX_LENGTH = 2_000;
    private static final int MAX_DEPTH = 50;
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in");
    private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Map<String, String> MISTAKES = Map.of("=", "==", "&&", "and", "||", "or", "!", "not",
            "<>", "!=", "===", "==", "!==", "!=");

    private final String text;
    private final List<Token> tokens;
    private int next;
    private int depth;

    private enum Kind { NUMBER, STRING, WORD, SYMBOL, END }

    private record Token(Kind kind, String text, JsonNode value, int at) {
        boolean is(String symbol) {
            return (kind == Kind.SYMBOL || kind == Kind.WORD) && text.equals(symbol);
        }
    }

    private ConditionParser(String text, List<Token> tokens) {
        this.text = text;
        this.tokens = tokens;
    }

    /** Parses a condition. */
    public static Expr parse(String condition) throws ConditionException {
        return parsed(condition).expr();
    }

    /**
     * A parsed condition with the tasks it reads (output, status or error), in order.
     *
     * @param taskIds unmodifiable; shared by every parse of the same text
     */
    public record Parsed(Expr expr, java.util.Set<String> taskIds) {
    }

    /** Like {@link #parse}, with the tasks the condition reads. */
    public static Parsed parsed(String condition) throws ConditionException {
        Parsed known = condition == null ? null : PARSED.getIfPresent(condition);
        if (known != null) return known;
        Expr expr = parseText(condition);
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        for (Expr.Ref ref : references(expr)) if (ref.readsTask()) ids.add(ref.root());
        Parsed parsed = new Parsed(expr, java.util.Collections.unmodifiableSet(ids));
        PARSED.put(condition, parsed);
        return parsed;
    }

    /**
     * Conditions parsed lately, by text. A plan is parsed when it is posted and again whenever a
     * run is rebuilt from the journal, and the runs of one playbook or trigger repeat the same
     * conditions; an {@link Expr} is immutable, so one parse serves them all. Conditions that do
     * not parse are not kept.
     */
    private static final Cache<String, Parsed> PARSED = Caffeine.newBuilder().maximumSize(10_000).build();

    private static Expr parseText(String condition) throws ConditionException {
        if (condition == null || condition.isBlank()) throw new ConditionException("empty condition", 1);
        if (condition.length() > MAX_LENGTH) {
            throw new ConditionException("the condition is " + condition.length() + " characters long; the limit is " + MAX_LENGTH, 1);
        }
        ConditionParser parser = new ConditionParser(condition, tokenize(condition));
        Expr expr = parser.or();
        Token extra = parser.peek();
        if (extra.kind != Kind.END) throw parser.unexpected(extra, "the end of the condition");
        return expr;
    }

    /** Every reference in a parsed condition, in order. */
    public static List<Expr.Ref> references(Expr expr) {
        List<Expr.Ref> refs = new ArrayList<>();
        collect(expr, refs);
        return refs;
    }

    private static void collect(Expr expr, List<Expr.Ref> refs) {
        if (expr instanceof Expr.Ref ref) {
            refs.add(ref);
        } else if (expr instanceof Expr.ListOf list) {
            list.items().forEach(item -> collect(item, refs));
        } else if (expr instanceof Expr.Compare c) {
            collect(c.left(), refs);
            collect(c.right(), refs);
        } else if (expr instanceof Expr.In in) {
            collect(in.left(), refs);
            collect(in.right(), refs);
        } else if (expr instanceof Expr.And and) {
            collect(and.left(), refs);
            collect(and.right(), refs);
        } else if (expr instanceof Expr.Or or) {
            collect(or.left(), refs);
            collect(or.right(), refs);
        } else if (expr instanceof Expr.Not not) {
            collect(not.operand(), refs);
        } else if (expr instanceof Expr.Exists exists) {
            refs.add(exists.ref());
        }
    }

    // ---------------------------------------------------------------- grammar

    private Expr or() throws ConditionException {
        Expr left = and();
        while (peek().is("or")) {
            next++;
            left = new Expr.Or(left, and());
        }
        return left;
    }

    private Expr and() throws ConditionException {
        Expr left = not();
        while (peek().is("and")) {
            next++;
            left = new Expr.And(left, not());
        }
        return left;
    }

    private Expr not() throws ConditionException {
        if (peek().is("not")) {
            enter(take().at);
            Expr operand = not();
            depth--;
            return new Expr.Not(operand);
        }
        return comparison();
    }

    private Expr comparison() throws ConditionException {
        Expr left = operand();
        Token op = peek();
        if (op.kind == Kind.SYMBOL && COMPARISONS.contains(op.text)) {
            next++;
            return new Expr.Compare(op.text, left, operand());
        }
        if (op.is("in")) {
            next++;
            return new Expr.In(left, operand(), false);
        }
        if (op.is("not") && tokens.get(next + 1).is("in")) {
            next += 2;
            return new Expr.In(left, operand(), true);
        }
        return left;
    }

    private Expr operand() throws ConditionException {
        Token token = take();
        switch (token.kind) {
            case NUMBER, STRING:
                return new Expr.Literal(token.value);
            case SYMBOL:
                if (token.is("(")) {
                    enter(token.at);
                    Expr inner = or();
                    expect(")", "')' to close the '(' at " + token.at);
                    depth--;
                    return inner;
                }
                if (token.is("[")) return list(token);
                throw unexpected(token, "a value, a reference, 'not', 'exists(...)' or '('");
            case WORD:
                return word(token);
            default:
                throw unexpected(token, "a value, a reference, 'not', 'exists(...)' or '('");
        }
    }

    private Expr list(Token open) throws ConditionException {
        enter(open.at);
        List<Expr> items = new ArrayList<>();
        if (!peek().is("]")) {
            do {
                items.add(or());
            } while (peek().is(",") && take() != null);
        }
        expect("]", "',' or ']' to close the list opened at " + open.at);
        depth--;
        return new Expr.ListOf(items);
    }

    private Expr word(Token token) throws ConditionException {
        switch (token.text) {
            case "true":
                return new Expr.Literal(BooleanNode.TRUE);
            case "false":
                return new Expr.Literal(BooleanNode.FALSE);
            case "null":
                return new Expr.Literal(NullNode.instance);
            case "and", "or", "in":
                throw unexpected(token, "a value or a reference before '" + token.text + "'");
            default:
                break;
        }
        if (peek().is("(")) {
            if (!token.text.equals("exists")) {
                throw new ConditionException("unknown function '" + token.text + "' (the only function is exists(...))", token.at);
            }
            next++;
            Token start = peek();
            if (start.kind != Kind.WORD) throw unexpected(start, "a reference inside exists(...)");
            next++;
            Expr.Ref ref = reference(start);
            expect(")", "')' to close exists(");
            return new Expr.Exists(ref);
        }
        return reference(token);
    }

    private Expr.Ref reference(Token root) throws ConditionException {
        List<Object> segments = new ArrayList<>();
        int end = root.at + root.text.length();
        while (true) {
            Token t = peek();
            if (t.is(".") && t.at == end) {
                Token name = tokens.get(next + 1);
                if ((name.kind != Kind.WORD && name.kind != Kind.NUMBER) || name.at != t.at + 1) {
                    throw unexpected(name, "a property name after '.'");
                }
                next += 2;
                segments.add(name.text);
                end = name.at + name.text.length();
            } else if (t.is("[") && t.at == end) {
                Token index = tokens.get(next + 1);
                Token close = tokens.get(next + 2);
                if (index.kind != Kind.NUMBER || !isInteger(index.text) || index.text.startsWith("-") || !close.is("]")) {
                    throw unexpected(index, "an index such as [0] in a reference");
                }
                next += 3;
                segments.add(Integer.parseInt(index.text));
                end = close.at + 1;
            } else {
                break;
            }
        }
        String written = text.substring(root.at - 1, end - 1);
        if (root.text.equals("input")) return new Expr.Ref("input", "input", segments, written, root.at);
        if (segments.isEmpty() || !(segments.get(0) instanceof String part)
                || !(part.equals("output") || part.equals("status") || part.equals("error"))) {
            throw new ConditionException("unknown name '" + written + "': a reference is input.<path>, <task>.output.<path>,"
                    + " <task>.status or <task>.error.<path>; strings need quotes", root.at);
        }
        if (part.equals("status") && segments.size() > 1) {
            throw new ConditionException("'" + written + "': a task's status is a plain string, it has no fields", root.at);
        }
        return new Expr.Ref(root.text, part, segments.subList(1, segments.size()), written, root.at);
    }

    // ---------------------------------------------------------------- tokens

    private Token peek() {
        return tokens.get(next);
    }

    private Token take() {
        Token token = tokens.get(next);
        if (token.kind != Kind.END) next++;
        return token;
    }

    private void expect(String symbol, String what) throws ConditionException {
        Token token = peek();
        if (!token.is(symbol)) throw unexpected(token, what);
        next++;
    }

    private void enter(int at) throws ConditionException {
        if (++depth > MAX_DEPTH) throw new ConditionException("the condition nests deeper than " + MAX_DEPTH + " levels", at);
    }

    private ConditionException unexpected(Token token, String expected) {
        if (token.kind == Kind.END) return new ConditionException("unexpected end of the condition, expected " + expected, token.at);
        return new ConditionException("unexpected '" + token.text + "', expected " + expected, token.at);
    }

    private static List<Token> tokenize(String text) throws ConditionException {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            int at = i + 1;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '"' || c == '\'') {
                StringBuilder value = new StringBuilder();
                int j = i + 1;
                while (true) {
                    if (j >= n) throw new ConditionException("unclosed string", at);
                    char d = text.charAt(j);
                    if (d == c) break;
                    if (d == '\\') {
                        if (j + 1 >= n) throw new ConditionException("unclosed string", at);
                        char e = text.charAt(j + 1);
                        switch (e) {
                            case 'n' -> value.append('\n');
                            case 't' -> value.append('\t');
                            case '"', '\'', '\\' -> value.append(e);
                            default -> throw new ConditionException("unknown escape '\\" + e + "' in a string", j + 1);
                        }
                        j += 2;
                    } else {
                        value.append(d);
                        j++;
                    }
                }
                tokens.add(new Token(Kind.STRING, text.substring(i, j + 1), TextNode.valueOf(value.toString()), at));
                i = j + 1;
            } else if (isWordChar(c) || (c == '-' && i + 1 < n && Character.isDigit(text.charAt(i + 1)) && !afterValue(tokens))) {
                int j = i + 1;
                while (j < n && isWordChar(text.charAt(j))) j++;
                String word = text.substring(i, j);
                boolean integer = isInteger(word);
                if (integer && j + 1 < n && text.charAt(j) == '.' && Character.isDigit(text.charAt(j + 1))
                        && !(i > 0 && text.charAt(i - 1) == '.')) {
                    int k = j + 1;
                    while (k < n && isWordChar(text.charAt(k))) k++;
                    word = text.substring(i, k);
                    j = k;
                }
                if (Character.isDigit(word.charAt(word.length() - 1)) && NUMBER.matcher(word).matches() && !(i > 0 && text.charAt(i - 1) == '.')) {
                    tokens.add(new Token(Kind.NUMBER, word, number(word), at));
                } else if (word.startsWith("-")) {
                    throw new ConditionException("malformed number '" + word + "'", at);
                } else {
                    tokens.add(new Token(Kind.WORD, word, null, at));
                }
                i = j;
            } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '.') {
                tokens.add(new Token(Kind.SYMBOL, String.valueOf(c), null, at));
                i++;
            } else {
                int j = i;
                while (j < n && "=!<>~&|+*/%^?:;@#$`\\-".indexOf(text.charAt(j)) >= 0) j++;
                if (j == i) throw new ConditionException("unexpected character '" + c + "'", at);
                String op = text.substring(i, j);
                if (!COMPARISONS.contains(op)) {
                    String hint = MISTAKES.get(op);
                    throw new ConditionException("unknown operator '" + op + "'" + (hint == null ? "" : " (did you mean '" + hint + "'?)"), at);
                }
                tokens.add(new Token(Kind.SYMBOL, op, null, at));
                i = j;
            }
        }
        tokens.add(new Token(Kind.END, "", null, n + 1));
        return tokens;
    }

    /** {@code -?[0-9]+}, without a regex: every word of every condition is asked. */
    private static boolean isInteger(String word) {
        int start = word.startsWith("-") ? 1 : 0;
        if (word.length() == start) return false;
        for (int i = start; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }

    /** Whether the last token ends a value, so that a following '-' would be an operator, not a sign. */
    private static boolean afterValue(List<Token> tokens) {
        if (tokens.isEmpty()) return false;
        Token last = tokens.get(tokens.size() - 1);
        return last.kind == Kind.NUMBER || last.kind == Kind.STRING || last.is(")") || last.is("]")
                || (last.kind == Kind.WORD && !KEYWORDS.contains(last.text));
    }

    private static boolean isWordChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    }

    private static JsonNode number(String word) {
        if (isInteger(word)) {
            long value = Long.parseLong(word.length() > 18 ? "0" : word);
            if (word.length() > 18) return DecimalNode.valueOf(new BigDecimal(word));
            return value == (int) value ? IntNode.valueOf((int) value) : LongNode.valueOf(value);
        }
        return DecimalNode.valueOf(new BigDecimal(word));
    }
}
