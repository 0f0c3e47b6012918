package dev.baton.runtime.trigger;

import dev.baton.plan.PlanParser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.BatonException;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A trigger's definition as posted to {@code POST /api/triggers}: what it starts (a goal with a
 * plan or a playbook, and an input) and when (a schedule, or events posted to it).
 *
 * @param schedule   set for a schedule trigger, null for an event trigger
 * @param event      set for an event trigger, null for a schedule trigger
 * @param plan       the plan to run, or null when {@code playbook} names one
 * @param playbook   the playbook whose plan to run (looked up at each firing), or null
 * @param input      the run's input (an event's mapped values are added to it)
 * @param createdAt  when it was created; the anchor of an {@code every} schedule
 */
public record TriggerSpec(String name, String goal, ScheduleSpec schedule, EventSpec event, JsonNode plan, String playbook,
                          ObjectNode input, Instant createdAt) {

    /** Names go into URLs and idempotency keys: plain characters only. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    /** The most catch-up firings {@code all} may make after downtime, unless {@code catchUpLimit} says fewer. */
    public static final int MAX_CATCH_UP = 1000;
    static final int DEFAULT_CATCH_UP_LIMIT = 10;
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    private static final Set<String> FIELDS = Set.of("name", "goal", "schedule", "event", "plan", "playbook", "input");
    private static final Set<String> SCHEDULE_FIELDS = Set.of("cron", "every", "timeZone", "catchUp", "catchUpLimit", "overlap");
    private static final Set<String> EVENT_FIELDS = Set.of("secret", "inputMapping");

    /** What happens to firings missed while the server was down. */
    public enum CatchUp { SKIP, LATEST, ALL }

    /** What happens when a firing comes while the run of the previous one is still going. */
    public enum Overlap { SKIP, QUEUE, ALLOW }

    /** @param cron null when {@code every} is set; @param every null when {@code cron} is set */
    public record ScheduleSpec(String cron, Duration every, ZoneId timeZone, CatchUp catchUp, int catchUpLimit, Overlap overlap) {

        /** When it fires, in words: "at 09:00 on weekdays", "every 10 seconds" (see {@link CronDescription}); without the zone. */
        public String description() {
            return cron != null ? CronDescription.of(cron) : CronDescription.of(every);
        }

        /** Its firing times for a trigger created at {@code createdAt}. */
        public Schedule timing(Instant createdAt) {
            return cron != null ? new Schedule.Cron(CronExpression.parse(cron), timeZone) : new Schedule.Every(every, createdAt);
        }
    }

    /**
     * @param secret       the secret events must be signed with as Standard Webhooks signs them ({@link Signatures}), or null
     * @param inputMapping input field -> payload path
     */
    public record EventSpec(String secret, Map<String, PayloadPath> inputMapping) {
    }

    public String kind() {
        return schedule != null ? "schedule" : "event";
    }

    /** The schedule's firing times (null for an event trigger). */
    public Schedule timing() {
        return schedule == null ? null : schedule.timing(createdAt);
    }

    /**
     * Reads and checks a {@code schedule} object alone, as {@link #parse} reads a trigger's (the same
     * {@code trigger_invalid} errors, fields named {@code schedule.*}): for a preview of a schedule being written.
     */
    public static ScheduleSpec parseSchedule(JsonNode node, Instant now) {
        if (node == null || node.isNull()) throw invalid("schedule", "field 'schedule' is required");
        return schedule(node, now);
    }

    /**
     * Reads and checks a posted definition. Every problem is a 400 {@code trigger_invalid} whose
     * message and {@code details.field} name the field. The plan is only checked for shape here;
     * the orchestrator validates it against the catalogue.
     */
    public static TriggerSpec parse(JsonNode body, Instant now) {
        return parse(body, now, false);
    }

    private static TriggerSpec parse(JsonNode body, Instant now, boolean stored) {
        if (body == null || !body.isObject()) throw invalid("", "the body must be a JSON object");
        unknownFields(body, FIELDS, "");
        String name = text(body, "name", true);
        if (!NAME.matcher(name).matches()) {
            throw invalid("name", "field 'name' must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        String goal = text(body, "goal", true);
        if (goal.isBlank()) throw invalid("goal", "field 'goal' must say in words what the runs are for");
        JsonNode scheduleNode = present(body, "schedule");
        JsonNode eventNode = present(body, "event");
        if ((scheduleNode == null) == (eventNode == null)) {
            throw invalid(scheduleNode == null ? "schedule" : "event",
                    "give exactly one of 'schedule' (runs at times) and 'event' (runs when events are posted)");
        }
        JsonNode plan = present(body, "plan");
        if (plan != null && !plan.isObject()) throw invalid("plan", "field 'plan' must be an object");
        String playbook = text(body, "playbook", false);
        if ((plan == null) == (playbook == null)) {
            throw invalid(plan == null ? "plan" : "playbook", "give exactly one of 'plan' and 'playbook': what each firing runs");
        }
        JsonNode input = present(body, "input");
        if (input != null && !input.isObject()) throw invalid("input", "field 'input' must be an object");
        ScheduleSpec schedule = scheduleNode == null ? null : schedule(scheduleNode, now);
        EventSpec event = eventNode == null ? null : event(eventNode, stored);
        return new TriggerSpec(name, goal, schedule, event, plan, playbook,
                input == null ? Json.object() : (ObjectNode) input.deepCopy(), now);
    }

    private static ScheduleSpec schedule(JsonNode node, Instant now) {
        if (!node.isObject()) throw invalid("schedule", "field 'schedule' must be an object");
        unknownFields(node, SCHEDULE_FIELDS, "schedule.");
        String cron = text(node, "cron", false, "schedule.cron");
        String every = text(node, "every", false, "schedule.every");
        if ((cron == null) == (every == null)) {
            throw invalid("schedule.cron", "give exactly one of 'schedule.cron' (e.g. \"0 */5 * * * *\") and 'schedule.every' (e.g. \"PT10S\")");
        }
        String zoneText = text(node, "timeZone", false, "schedule.timeZone");
        ZoneId zone = ZoneOffset.UTC;
        if (zoneText != null) {
            if (every != null) throw invalid("schedule.timeZone", "'schedule.timeZone' applies to a cron schedule, not to 'every'");
            try {
                zone = ZoneId.of(zoneText);
            } catch (DateTimeException e) {
                throw invalid("schedule.timeZone", "'schedule.timeZone' is not a time zone: '" + zoneText
                        + "'; use a region such as \"Europe/Berlin\" or \"UTC\"");
            }
        }
        Duration interval = null;
        if (cron != null) {
            try {
                CronExpression expression = CronExpression.parse(cron);
                if (expression.next(now, zone) == null) throw new IllegalArgumentException("it never fires");
            } catch (IllegalArgumentException e) {
                throw invalid("schedule.cron", "'schedule.cron' is not valid: " + e.getMessage());
            }
        } else {
            try {
                interval = Duration.parse(every);
            } catch (DateTimeParseException e) {
                throw invalid("schedule.every", "'schedule.every' must be an ISO-8601 duration such as \"PT10S\" or \"PT1H\", not '" + every + "'");
            }
            if (interval.compareTo(MIN_INTERVAL) < 0) throw invalid("schedule.every", "'schedule.every' must be at least PT1S");
            if (interval.compareTo(PlanParser.MAX_DURATION) > 0) {
                throw invalid("schedule.every", "'schedule.every' must be at most " + PlanParser.MAX_DURATION_TEXT + " (ten years), not '" + every + "'");
            }
            if (interval.getNano() % 1_000_000 != 0) {
                throw invalid("schedule.every", "'schedule.every' must be a whole number of milliseconds");
            }
        }
        CatchUp catchUp = choice(node, "catchUp", CatchUp.class, CatchUp.SKIP);
        int limit = DEFAULT_CATCH_UP_LIMIT;
        JsonNode limitNode = present(node, "catchUpLimit");
        if (limitNode != null) {
            if (!limitNode.canConvertToInt() || !limitNode.isIntegralNumber() || limitNode.intValue() < 1 || limitNode.intValue() > MAX_CATCH_UP) {
                throw invalid("schedule.catchUpLimit", "'schedule.catchUpLimit' must be a whole number from 1 to " + MAX_CATCH_UP);
            }
            limit = limitNode.intValue();
        }
        Overlap overlap = choice(node, "overlap", Overlap.class, Overlap.ALLOW);
        return new ScheduleSpec(cron == null ? null : cron.trim(), interval, zone, catchUp, limit, overlap);
    }

    /** @param stored read from the store: not held to rules added since it was stored (whsec_ secrets), so that it still loads */
    private static EventSpec event(JsonNode node, boolean stored) {
        if (!node.isObject()) throw invalid("event", "field 'event' must be an object");
        unknownFields(node, EVENT_FIELDS, "event.");
        String secret = text(node, "secret", false, "event.secret");
        if (secret != null && (secret.length() < 16 || secret.length() > 512)) {
            throw invalid("event.secret", "'event.secret' must hold 16 to 512 characters");
        }
        String problem = secret == null || stored ? null : Signatures.problem(secret);
        if (problem != null) throw invalid("event.secret", "'event.secret': " + problem);
        Map<String, PayloadPath> mapping = new LinkedHashMap<>();
        JsonNode mappingNode = present(node, "inputMapping");
        if (mappingNode != null) {
            if (!mappingNode.isObject()) throw invalid("event.inputMapping", "'event.inputMapping' must be an object of input field -> payload path");
            if (mappingNode.size() > 100) throw invalid("event.inputMapping", "'event.inputMapping' may map at most 100 fields");
            for (Iterator<Map.Entry<String, JsonNode>> it = mappingNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "event.inputMapping." + e.getKey();
                if (e.getKey().isBlank()) throw invalid("event.inputMapping", "'event.inputMapping' has an empty input field name");
                if (!e.getValue().isTextual()) throw invalid(field, "'" + field + "' must be a payload path string such as \"$.ticket.id\"");
                try {
                    mapping.put(e.getKey(), PayloadPath.parse(e.getValue().textValue()));
                } catch (IllegalArgumentException bad) {
                    throw invalid(field, "'" + field + "': " + bad.getMessage());
                }
            }
        }
        return new EventSpec(secret, mapping);
    }

    /** The definition as stored ({@code withSecret}) or as the API shows it (the secret only as {@code hasSecret}). */
    public ObjectNode toJson(boolean withSecret) {
        ObjectNode node = Json.object();
        node.put("name", name);
        node.put("kind", kind());
        node.put("goal", goal);
        if (schedule != null) {
            ObjectNode s = node.putObject("schedule");
            if (schedule.cron() != null) {
                s.put("cron", schedule.cron());
                s.put("timeZone", schedule.timeZone().getId());
            } else {
                s.put("every", schedule.every().toString());
            }
            s.put("catchUp", schedule.catchUp().name().toLowerCase(Locale.ROOT));
            s.put("catchUpLimit", schedule.catchUpLimit());
            s.put("overlap", schedule.overlap().name().toLowerCase(Locale.ROOT));
        }
        if (event != null) {
            ObjectNode e = node.putObject("event");
            if (withSecret) e.put("secret", event.secret());
            else e.put("hasSecret", event.secret() != null);
            ObjectNode mapping = e.putObject("inputMapping");
            event.inputMapping().forEach((k, v) -> mapping.put(k, v.toString()));
        }
        if (plan != null) node.set("plan", plan);
        if (playbook != null) node.put("playbook", playbook);
        node.set("input", input);
        node.put("createdAt", createdAt.toString());
        return node;
    }

    /** Reads a definition written by {@link #toJson(boolean) toJson(true)}. */
    public static TriggerSpec fromStored(JsonNode node) {
        ObjectNode copy = ((ObjectNode) node).deepCopy();
        Instant createdAt = Instant.parse(copy.remove("createdAt").asText());
        copy.remove("kind");
        JsonNode event = copy.get("event");
        if (event instanceof ObjectNode e && e.get("secret") != null && e.get("secret").isNull()) e.remove("secret");
        JsonNode schedule = copy.get("schedule");
        if (schedule instanceof ObjectNode s && s.has("every")) s.remove("timeZone");
        return parse(copy, createdAt, true);
    }

    // ------------------------------------------------------------------ reading fields

    private static BatonException invalid(String field, String message) {
        ObjectNode details = Json.object();
        details.put("field", field);
        return new BatonException(BatonException.Kind.INVALID, "trigger_invalid", message, details);
    }

    private static JsonNode present(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value;
    }

    private static String text(JsonNode node, String field, boolean required) {
        return text(node, field, required, field);
    }

    private static String text(JsonNode node, String field, boolean required, String path) {
        JsonNode value = present(node, field);
        if (value == null) {
            if (required) throw invalid(path, "field '" + path + "' is required");
            return null;
        }
        if (!value.isTextual()) throw invalid(path, "field '" + path + "' must be a string");
        return value.textValue();
    }

    private static <E extends Enum<E>> E choice(JsonNode node, String field, Class<E> type, E fallback) {
        String text = text(node, field, false, "schedule." + field);
        if (text == null) return fallback;
        for (E value : type.getEnumConstants()) {
            if (value.name().equalsIgnoreCase(text)) return value;
        }
        StringBuilder allowed = new StringBuilder();
        for (E value : type.getEnumConstants()) allowed.append(allowed.isEmpty() ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT));
        throw invalid("schedule." + field, "'schedule." + field + "' must be one of " + allowed + ", not '" + text + "'");
    }

    private static void unknownFields(JsonNode node, Set<String> known, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!known.contains(field)) {
                throw invalid(prefix + field, "unknown field '" + prefix + field + "'; known: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
        }
    }
}
