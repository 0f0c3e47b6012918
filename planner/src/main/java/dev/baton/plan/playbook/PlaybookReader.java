package dev.baton.plan.playbook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.PlanException;
import dev.baton.plan.PlanParser;
import dev.baton.plan.PlanProblem;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads one playbook file (format: {@link Playbook}). Like {@link PlanParser} it is strict (an
 * unknown field is a problem, so {@code "goal"} for {@code "goals"} is caught) and collects every
 * problem before it fails; each problem starts with {@code playbook <where>:} and names the field.
 */
final class PlaybookReader {

    static final Set<String> FIELDS = Set.of("name", "description", "goals", "input", "plan");

    private PlaybookReader() {
    }

    /**
     * @param text     the file's content
     * @param fileName the file name, e.g. {@code notify.json}; without {@code .json} it is the default name
     * @param source   {@link Playbook#BUILTIN} or the file's path; also what problems are prefixed with
     * @throws PlaybookException with every problem found
     */
    static Playbook read(String text, String fileName, String source) throws PlaybookException {
        String where = "playbook " + (Playbook.BUILTIN.equals(source) ? "builtin " + fileName : source) + ": ";
        JsonNode body;
        try {
            body = Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new PlaybookException(where + "malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        }
        if (body == null || !body.isObject()) {
            throw new PlaybookException(where + "expected a JSON object with 'description' and 'plan'");
        }
        List<String> problems = new ArrayList<>();
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!FIELDS.contains(field)) {
                problems.add(where + "field '" + field + "': unknown; a playbook has name, description, goals, input and plan");
            }
        }
        String name = name(body, fileName, where, problems);
        String description = null;
        JsonNode descriptionNode = present(body, "description");
        if (descriptionNode == null) {
            problems.add(where + "field 'description': missing; say in a sentence what the playbook does (it is matched to goals)");
        } else if (!descriptionNode.isTextual() || descriptionNode.textValue().isBlank()) {
            problems.add(where + "field 'description': expected a non-blank string");
        } else {
            description = descriptionNode.textValue().strip();
        }
        List<String> goals = goals(body, where, problems);
        JsonNode input = present(body, "input");
        if (input != null && !input.isObject()) {
            problems.add(where + "field 'input': expected a JSON schema object");
        } else if (input != null) {
            // A keyword nothing checks would let any input through: refuse it now, as tool schemas are.
            for (SchemaViolation problem : JsonSchemaValidator.schemaProblems(input, "input")) {
                problems.add(where + "field '" + problem.path() + "': " + problem.message());
            }
        }
        Plan plan = null;
        JsonNode planNode = present(body, "plan");
        if (planNode == null) {
            problems.add(where + "field 'plan': missing; a playbook needs a plan ({\"tasks\": [...]})");
        } else {
            try {
                plan = PlanParser.parse(planNode);
            } catch (PlanException e) {
                for (PlanProblem problem : e.problems()) problems.add(where + "plan: " + problem);
            }
        }
        if (!problems.isEmpty()) throw new PlaybookException(problems);
        return new Playbook(name, description, goals, input, plan, source);
    }

    private static String name(JsonNode body, String fileName, String where, List<String> problems) {
        JsonNode node = present(body, "name");
        String name;
        if (node == null) {
            name = fileName.endsWith(".json") ? fileName.substring(0, fileName.length() - ".json".length()) : fileName;
        } else if (!node.isTextual()) {
            problems.add(where + "field 'name': expected a string");
            return null;
        } else {
            name = node.textValue();
        }
        if (!Playbook.NAME.matcher(name).matches()) {
            problems.add(where + (node == null ? "file name" : "field 'name'") + ": '" + name
                    + "' is not a valid playbook name (1 to 64 letters, digits, '.', '_' or '-')");
            return null;
        }
        return name;
    }

    private static List<String> goals(JsonNode body, String where, List<String> problems) {
        JsonNode node = present(body, "goals");
        List<String> goals = new ArrayList<>();
        if (node == null) return goals;
        if (!node.isArray()) {
            problems.add(where + "field 'goals': expected an array of strings");
            return goals;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode goal = node.get(i);
            if (!goal.isTextual() || goal.textValue().isBlank()) {
                problems.add(where + "field 'goals[" + i + "]': expected a non-blank string");
            } else {
                goals.add(goal.textValue().strip());
            }
        }
        return goals;
    }

    /** The field's value, or null when absent or JSON null. */
    private static JsonNode present(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() ? null : value;
    }
}
