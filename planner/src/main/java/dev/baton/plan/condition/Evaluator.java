package dev.baton.plan.condition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Iterator;

/**
 * Evaluates a parsed condition over JSON values. Total and side-effect free: a missing path
 * reads as {@code null}, a comparison between values of different types is false (except
 * {@code !=}, which is true), and nothing throws.
 *
 * <p>Truth: {@code false}, {@code null}, {@code 0}, {@code ""}, {@code []} and {@code {}} are
 * false; every other value is true. {@code ==} compares JSON values (numbers by value, so
 * {@code 1 == 1.0}); {@code < <= > >=} compare two numbers or two strings;
 * {@code x in list} tests membership, {@code x in "text"} a substring, {@code x in object} a key.
 */
public final class Evaluator {

    /** What a condition may read: the run's input and the tasks it depends on. Values may be null. */
    public interface Scope {
        JsonNode input();

        JsonNode output(String taskId);

        /** The task's status name, e.g. {@code SUCCEEDED}, or null. */
        String status(String taskId);

        /** The task's error as {@code {"code", "message"}}, or null. */
        JsonNode error(String taskId);
    }

    private Evaluator() {
    }

    /** Whether the condition holds. */
    public static boolean test(Expr expr, Scope scope) {
        return truthy(value(expr, scope));
    }

    /** The value of an expression. */
    public static JsonNode value(Expr expr, Scope scope) {
        if (expr instanceof Expr.Literal literal) return literal.value();
        if (expr instanceof Expr.Ref ref) return read(ref, scope);
        if (expr instanceof Expr.ListOf list) {
            var array = JsonNodeFactory.instance.arrayNode();
            for (Expr item : list.items()) array.add(value(item, scope));
            return array;
        }
        if (expr instanceof Expr.And and) return BooleanNode.valueOf(test(and.left(), scope) && test(and.right(), scope));
        if (expr instanceof Expr.Or or) return BooleanNode.valueOf(test(or.left(), scope) || test(or.right(), scope));
        if (expr instanceof Expr.Not not) return BooleanNode.valueOf(!test(not.operand(), scope));
        if (expr instanceof Expr.Exists exists) return BooleanNode.valueOf(!read(exists.ref(), scope).isNull());
        if (expr instanceof Expr.In in) {
            boolean member = member(value(in.left(), scope), value(in.right(), scope));
            return BooleanNode.valueOf(in.negated() != member);
        }
        Expr.Compare compare = (Expr.Compare) expr;
        return BooleanNode.valueOf(compare(compare.op(), value(compare.left(), scope), value(compare.right(), scope)));
    }

    /** The truth of a value, as documented above. */
    public static boolean truthy(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) return false;
        if (value.isBoolean()) return value.booleanValue();
        if (value.isNumber()) return value.decimalValue().signum() != 0;
        if (value.isTextual()) return !value.textValue().isEmpty();
        if (value.isContainerNode()) return value.size() > 0;
        return true;
    }

    private static JsonNode read(Expr.Ref ref, Scope scope) {
        JsonNode node = switch (ref.part()) {
            case "input" -> scope.input();
            case "output" -> scope.output(ref.root());
            case "error" -> scope.error(ref.root());
            default -> {
                String status = scope.status(ref.root());
                yield status == null ? null : TextNode.valueOf(status);
            }
        };
        for (Object segment : ref.path()) {
            if (node == null) break;
            node = segment instanceof Integer i ? node.get(i) : node.get((String) segment);
        }
        return node == null || node instanceof MissingNode ? NullNode.instance : node;
    }

    private static boolean compare(String op, JsonNode left, JsonNode right) {
        if (op.equals("==")) return same(left, right);
        if (op.equals("!=")) return !same(left, right);
        int order;
        if (left.isNumber() && right.isNumber()) {
            order = left.decimalValue().compareTo(right.decimalValue());
        } else if (left.isTextual() && right.isTextual()) {
            order = left.textValue().compareTo(right.textValue());
        } else {
            return false;
        }
        return switch (op) {
            case "<" -> order < 0;
            case "<=" -> order <= 0;
            case ">" -> order > 0;
            default -> order >= 0;
        };
    }

    /** JSON equality, with numbers equal by value whatever their representation. */
    static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) if (!same(a.get(i), b.get(i))) return false;
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) return false;
            for (Iterator<String> names = a.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!b.has(name) || !same(a.get(name), b.get(name))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    private static boolean member(JsonNode item, JsonNode container) {
        if (container.isArray()) {
            for (JsonNode element : container) if (same(item, element)) return true;
            return false;
        }
        if (container.isTextual()) return item.isTextual() && container.textValue().contains(item.textValue());
        if (container.isObject()) return item.isTextual() && container.has(item.textValue());
        return false;
    }
}
