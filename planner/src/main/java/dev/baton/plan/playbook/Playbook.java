package dev.baton.plan.playbook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.plan.Plan;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A plan kept as a file, with the words that say which goals it serves. Without a chat model,
 * Baton picks a playbook for a goal by meaning ({@link PlaybookMatcher}) and runs its plan.
 *
 * <p>The file format (read by {@link PlaybookReader}):
 * <pre>{@code
 * {"name": "check-url-health",                          (optional: the file name without .json)
 *  "description": "Checks that a web page or API answers ...",
 *  "goals": ["is https://example.com up?", ...],        (optional: phrasings of goals it serves)
 *  "input": {"type": "object", ...},                    (optional: JSON schema of the run's input)
 *  "plan": {"tasks": [...]}}                            (the plan JSON of DESIGN.md)
 * }</pre>
 *
 * @param name        unique within a {@link PlaybookLibrary}; 1 to 64 letters, digits, '.', '_' or '-'
 * @param description what the playbook does, in a sentence or two; always embedded for matching
 * @param goals       example goals it serves (may be empty); each is embedded for matching
 * @param input       the JSON schema of the input its plan reads through {@code ${input...}}, or null
 * @param plan        the plan, well-formed (parsed by {@link dev.baton.plan.PlanParser})
 * @param source      {@value #BUILTIN} for a playbook shipped with Baton, else the path of its file
 */
public record Playbook(String name, String description, List<String> goals, JsonNode input, Plan plan, String source) {

    /** The {@link #source} of the playbooks shipped with Baton. */
    public static final String BUILTIN = "builtin";

    /** What a playbook name may be: it appears in URLs ({@code GET /api/playbooks/{name}}). */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public Playbook {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(source, "source");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("playbook name '" + name + "' must be 1 to 64 letters, digits, '.', '_' or '-'");
        }
        goals = List.copyOf(goals);
        input = input == null ? null : input.deepCopy();
    }

    /** True for a playbook shipped with Baton, false for one from the user's folder. */
    public boolean builtin() {
        return BUILTIN.equals(source);
    }

    /** The texts that say what the playbook is for: the description, then each goal example. */
    public List<String> matchTexts() {
        return Stream.concat(Stream.of(description), goals.stream()).toList();
    }
}
