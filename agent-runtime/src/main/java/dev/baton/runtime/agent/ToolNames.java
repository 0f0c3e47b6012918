package dev.baton.runtime.agent;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Baton tool names ({@code http.request}) as OpenAI-compatible function names
 * ({@code [a-zA-Z0-9_-]{1,64}}: {@code http_request}) and back. Characters outside the pattern
 * become {@code _}; when two tools would get the same function name, the later one (in the
 * order given) gets a {@code _2}, {@code _3}... suffix. The mapping depends only on the names
 * given, so a conversation rebuilt from the journal maps the same way.
 */
public final class ToolNames {
    private final Map<String, String> toModel = new LinkedHashMap<>();
    private final Map<String, String> toBaton = new HashMap<>();

    public ToolNames(Collection<String> batonNames) {
        for (String name : batonNames) {
            String base = sanitize(name);
            String candidate = base;
            for (int n = 2; toBaton.containsKey(candidate); n++) candidate = base + "_" + n;
            toModel.put(name, candidate);
            toBaton.put(candidate, name);
        }
    }

    /** The function name the model sees. */
    public static String sanitize(String name) {
        String mapped = name.replaceAll("[^a-zA-Z0-9_-]", "_");
        return mapped.length() > 64 ? mapped.substring(0, 64) : mapped;
    }

    /** The model's name for a Baton tool of this set; names outside the set map by {@link #sanitize}. */
    public String modelName(String batonName) {
        String mapped = toModel.get(batonName);
        return mapped != null ? mapped : sanitize(batonName);
    }

    /** The Baton tool a function name the model used stands for, if it is one of this set. */
    public Optional<String> batonName(String modelName) {
        return Optional.ofNullable(toBaton.get(modelName));
    }
}
