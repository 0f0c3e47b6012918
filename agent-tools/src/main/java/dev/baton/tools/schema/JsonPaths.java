package dev.baton.tools.schema;

import com.fasterxml.jackson.databind.node.TextNode;

import java.util.regex.Pattern;

/**
 * The one way Baton names a place inside a JSON value: {@code args.customer.email},
 * {@code args.items[2]}, and {@code args["content type"]} for a property name that is not
 * plain letters, digits, {@code _} or {@code -}. Violations and plan problems use it alike, so
 * their paths can be compared.
 */
public final class JsonPaths {

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private JsonPaths() {
    }

    /** The path of property {@code name} of the object at {@code parent}. */
    public static String property(String parent, String name) {
        if (PLAIN_NAME.matcher(name).matches()) return parent + "." + name;
        return parent + "[" + TextNode.valueOf(name) + "]";
    }

    /** The path of element {@code index} of the array at {@code parent}. */
    public static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
