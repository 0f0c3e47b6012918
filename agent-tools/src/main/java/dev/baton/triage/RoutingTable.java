package dev.baton.triage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where tickets go: queues, the categories each takes with their priority, a response SLA per
 * priority, keyword rules that override the classifier, an optional webhook per queue, and when a
 * person reviews a triage. Read with {@link #parse}, {@link #load} or {@link #bundledDemo()};
 * every problem is reported with the queue and field at fault.
 *
 * <pre>{@code
 * {"queues": [{"name": "security", "description": "...", "webhook": "https://hooks.example.com/security",
 *              "categories": {"lost_or_stolen_card": "P1", "change_pin": "P4"}}],
 *  "slas": {"P1": "PT15M", "P2": "PT2H", "P3": "PT8H", "P4": "P1D"},
 *  "rules": [{"keywords": ["chargeback"], "category": "request_refund"}],
 *  "review": {"threshold": "auto", "rules": [{"priority": "P1"}, {"queue": "security"}, {"category": "terminate_account"}]}}
 * }</pre>
 *
 * <p>{@code review.threshold} is a confidence from 0 to 1 below which a person reviews, or
 * {@code "auto"} (the default): the classifier's cross-validated threshold for a precision of
 * {@link #AUTO_PRECISION} on the tickets it routes alone. A review rule sends every ticket that
 * matches all of its fields to review, whatever the confidence.
 *
 * @param queues  in file order
 * @param slas    response time per priority ({@code P1}..{@code P4})
 * @param rules   keyword rules, first match wins
 * @param review  when a person reviews
 */
public record RoutingTable(List<Queue> queues, Map<String, Duration> slas, List<KeywordRule> rules, Review review) {

    /** The precision {@code "threshold": "auto"} aims at on the tickets routed without review. */
    public static final double AUTO_PRECISION = 0.98;
    /** The priorities, most urgent first. */
    public static final List<String> PRIORITIES = List.of("P1", "P2", "P3", "P4");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final String BUNDLED = "/dev/baton/triage/banking77/routing.json";

    public RoutingTable {
        queues = List.copyOf(queues);
        slas = Map.copyOf(slas);
        rules = List.copyOf(rules);
    }

    /**
     * A queue.
     *
     * @param webhook where routed tickets are POSTed, or null: the queue is then not delivered to
     * @param categories category to priority, in file order
     */
    public record Queue(String name, String description, URI webhook, Map<String, String> categories) {
    }

    /** Tickets whose text holds one of {@code keywords} (whole words, any case) get {@code category}, whatever the classifier says. */
    public record KeywordRule(List<String> keywords, String category, Pattern pattern) {
        /** The first keyword found in {@code text}, or null. */
        public String match(String text) {
            var m = pattern.matcher(text);
            return m.find() ? m.group() : null;
        }
    }

    /**
     * When a person reviews.
     *
     * @param threshold a fixed confidence threshold, or null for {@code "auto"}
     * @param rules     each sends the tickets matching all its non-null fields to review
     */
    public record Review(Double threshold, List<ReviewRule> rules) {
        public Review {
            rules = List.copyOf(rules);
        }
    }

    /** A review rule: every non-null field must match. */
    public record ReviewRule(String priority, String queue, String category) {
        boolean matches(Route route) {
            return (priority == null || priority.equals(route.priority()))
                    && (queue == null || queue.equals(route.queue()))
                    && (category == null || category.equals(route.category()));
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (priority != null) parts.add("every " + priority);
            if (queue != null) parts.add("queue '" + queue + "'");
            if (category != null) parts.add("category '" + category + "'");
            return String.join(", ", parts);
        }
    }

    /**
     * Where one category goes.
     *
     * @param sla the priority's response time, or null when the table sets none
     */
    public record Route(String category, String queue, String priority, Duration sla, URI webhook) {
    }

    // ------------------------------------------------------------------ reading

    /** The banking demo table bundled with Baton (BANKING77's 77 intents in 8 queues). */
    public static RoutingTable bundledDemo() {
        try (InputStream in = RoutingTable.class.getResourceAsStream(BUNDLED)) {
            if (in == null) throw new IllegalStateException("the bundled routing table " + BUNDLED + " is missing");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "the bundled banking routing table");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the bundled routing table: " + e.getMessage(), e);
        }
    }

    /** Reads a routing table file. @throws RoutingTableException naming the file, queue and field at fault */
    public static RoutingTable load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RoutingTableException(file + ": cannot be read: " + e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses and checks a routing table.
     *
     * @param source names the text in messages, e.g. the file
     * @throws RoutingTableException naming the queue and field at fault
     */
    public static RoutingTable parse(String text, String source) {
        JsonNode root;
        try {
            root = Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new RoutingTableException(source + ": not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + "): " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new RoutingTableException(source + ": must be a JSON object with 'queues'");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("queues", "slas", "rules", "review", "description", "name").contains(field)) {
                throw new RoutingTableException(source + ": unknown field '" + field + "'; the fields are queues, slas, rules, review");
            }
        }
        Map<String, Duration> slas = slas(root.get("slas"), source);
        JsonNode queuesNode = root.get("queues");
        if (queuesNode == null || !queuesNode.isArray() || queuesNode.isEmpty()) {
            throw new RoutingTableException(source + ": field 'queues' must be a non-empty array of queues");
        }
        List<Queue> queues = new ArrayList<>();
        Map<String, String> queueOfCategory = new LinkedHashMap<>();
        for (int i = 0; i < queuesNode.size(); i++) {
            Queue q = queue(queuesNode.get(i), i, source);
            for (Queue other : queues) {
                if (other.name().equals(q.name())) throw new RoutingTableException(source + ": queue '" + q.name() + "' (queues[" + i + "]) is defined twice");
            }
            for (String category : q.categories().keySet()) {
                String before = queueOfCategory.putIfAbsent(category, q.name());
                if (before != null) {
                    throw new RoutingTableException(source + ": queue '" + q.name() + "', field 'categories': category '" + category
                            + "' is already taken by queue '" + before + "'; a category goes to exactly one queue");
                }
            }
            queues.add(q);
        }
        List<KeywordRule> rules = keywordRules(root.get("rules"), queueOfCategory.keySet(), source);
        Review review = review(root.get("review"), queueOfCategory.keySet(), queues, source);
        return new RoutingTable(queues, slas, rules, review);
    }

    private static Map<String, Duration> slas(JsonNode node, String source) {
        Map<String, Duration> slas = new LinkedHashMap<>();
        if (node == null || node.isNull()) return slas;
        if (!node.isObject()) throw new RoutingTableException(source + ": field 'slas' must be an object like {\"P1\": \"PT15M\"}");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!PRIORITIES.contains(e.getKey())) {
                throw new RoutingTableException(source + ": field 'slas': unknown priority '" + e.getKey() + "'; use P1, P2, P3 or P4");
            }
            slas.put(e.getKey(), duration(e.getValue(), source + ": field 'slas." + e.getKey() + "'"));
        }
        return slas;
    }

    private static Duration duration(JsonNode value, String where) {
        if (value == null || !value.isTextual()) throw new RoutingTableException(where + " must be an ISO-8601 duration such as \"PT2H\" or \"P1D\"");
        String text = value.textValue();
        try {
            Duration d;
            if (text.startsWith("P") && !text.contains("T") && text.endsWith("D")) {
                d = Duration.ofDays(Long.parseLong(text.substring(1, text.length() - 1)));
            } else {
                d = Duration.parse(text);
            }
            if (d.isNegative() || d.isZero()) throw new RoutingTableException(where + " must be positive, not '" + text + "'");
            return d;
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new RoutingTableException(where + " must be an ISO-8601 duration such as \"PT2H\" or \"P1D\", not '" + text + "'");
        }
    }

    private static Queue queue(JsonNode node, int index, String source) {
        String at = source + ": queues[" + index + "]";
        if (node == null || !node.isObject()) throw new RoutingTableException(at + " must be an object with name and categories");
        JsonNode nameNode = node.get("name");
        if (nameNode == null || !nameNode.isTextual() || !NAME.matcher(nameNode.textValue()).matches()) {
            throw new RoutingTableException(at + ", field 'name' must be a name of letters, digits, '.', '_' or '-'");
        }
        String name = nameNode.textValue();
        String where = source + ": queue '" + name + "'";
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("name", "description", "categories", "webhook", "team").contains(field)) {
                throw new RoutingTableException(where + ": unknown field '" + field + "'; the fields are name, description, team, categories, webhook");
            }
        }
        JsonNode description = node.get("description");
        if (description != null && !description.isNull() && !description.isTextual()) {
            throw new RoutingTableException(where + ", field 'description' must be a string");
        }
        URI webhook = null;
        JsonNode hook = node.get("webhook");
        if (hook != null && !hook.isNull()) {
            if (!hook.isTextual()) throw new RoutingTableException(where + ", field 'webhook' must be an http(s) URL string");
            try {
                webhook = URI.create(hook.textValue());
            } catch (IllegalArgumentException e) {
                throw new RoutingTableException(where + ", field 'webhook': '" + hook.textValue() + "' is not a URL: " + e.getMessage());
            }
            String scheme = webhook.getScheme() == null ? "" : webhook.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || webhook.getHost() == null) {
                throw new RoutingTableException(where + ", field 'webhook': '" + hook.textValue() + "' must be an http or https URL with a host");
            }
        }
        JsonNode cats = node.get("categories");
        if (cats == null || !cats.isObject() || cats.isEmpty()) {
            throw new RoutingTableException(where + ", field 'categories' must be a non-empty object of category to priority, like {\"card_arrival\": \"P3\"}");
        }
        Map<String, String> categories = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cats.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().isBlank()) throw new RoutingTableException(where + ", field 'categories': a category name is empty");
            JsonNode p = e.getValue();
            if (p == null || !p.isTextual() || !PRIORITIES.contains(p.textValue())) {
                throw new RoutingTableException(where + ", field 'categories." + e.getKey() + "': priority must be P1, P2, P3 or P4, not "
                        + (p == null ? "nothing" : p.toString()));
            }
            categories.put(e.getKey(), p.textValue());
        }
        return new Queue(name, description == null || description.isNull() ? "" : description.textValue(), webhook,
                java.util.Collections.unmodifiableMap(categories));
    }

    private static List<KeywordRule> keywordRules(JsonNode node, Set<String> categories, String source) {
        List<KeywordRule> rules = new ArrayList<>();
        if (node == null || node.isNull()) return rules;
        if (!node.isArray()) throw new RoutingTableException(source + ": field 'rules' must be an array of {keywords, category}");
        for (int i = 0; i < node.size(); i++) {
            JsonNode r = node.get(i);
            String where = source + ": rules[" + i + "]";
            if (!r.isObject()) throw new RoutingTableException(where + " must be an object with keywords and category");
            JsonNode category = r.get("category");
            if (category == null || !category.isTextual() || !categories.contains(category.textValue())) {
                throw new RoutingTableException(where + ", field 'category': " + (category == null ? "missing" : category
                        + " is not a category of any queue"));
            }
            JsonNode keywords = r.get("keywords");
            if (keywords == null || !keywords.isArray() || keywords.isEmpty()) {
                throw new RoutingTableException(where + ", field 'keywords' must be a non-empty array of words or phrases");
            }
            List<String> words = new ArrayList<>();
            List<String> quoted = new ArrayList<>();
            for (JsonNode k : keywords) {
                if (!k.isTextual() || k.textValue().isBlank()) {
                    throw new RoutingTableException(where + ", field 'keywords': every keyword must be a non-empty string");
                }
                words.add(k.textValue().strip());
                quoted.add(Pattern.quote(k.textValue().strip()));
            }
            Pattern pattern = Pattern.compile("(?<![\\p{L}\\p{N}])(?:" + String.join("|", quoted) + ")(?![\\p{L}\\p{N}])",
                    Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
            rules.add(new KeywordRule(List.copyOf(words), category.textValue(), pattern));
        }
        return rules;
    }

    private static Review review(JsonNode node, Set<String> categories, List<Queue> queues, String source) {
        if (node == null || node.isNull()) return new Review(null, List.of());
        if (!node.isObject()) throw new RoutingTableException(source + ": field 'review' must be an object with threshold and rules");
        Double threshold = null;
        JsonNode t = node.get("threshold");
        if (t != null && !t.isNull() && !(t.isTextual() && t.textValue().equals("auto"))) {
            if (!t.isNumber() || t.doubleValue() < 0 || t.doubleValue() > 1) {
                throw new RoutingTableException(source + ": field 'review.threshold' must be a number from 0 to 1 or \"auto\", not " + t);
            }
            threshold = t.doubleValue();
        }
        List<ReviewRule> rules = new ArrayList<>();
        JsonNode rs = node.get("rules");
        if (rs != null && !rs.isNull()) {
            if (!rs.isArray()) throw new RoutingTableException(source + ": field 'review.rules' must be an array like [{\"priority\": \"P1\"}]");
            for (int i = 0; i < rs.size(); i++) {
                JsonNode r = rs.get(i);
                String where = source + ": review.rules[" + i + "]";
                if (!r.isObject() || r.isEmpty()) throw new RoutingTableException(where + " must be an object with priority, queue and/or category");
                String priority = text(r, "priority", where);
                String queue = text(r, "queue", where);
                String category = text(r, "category", where);
                for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (!Set.of("priority", "queue", "category").contains(f)) {
                        throw new RoutingTableException(where + ": unknown field '" + f + "'; use priority, queue or category");
                    }
                }
                if (priority != null && !PRIORITIES.contains(priority)) throw new RoutingTableException(where + ", field 'priority' must be P1, P2, P3 or P4");
                if (queue != null && queues.stream().noneMatch(q -> q.name().equals(queue))) {
                    throw new RoutingTableException(where + ", field 'queue': no queue is named '" + queue + "'");
                }
                if (category != null && !categories.contains(category)) {
                    throw new RoutingTableException(where + ", field 'category': '" + category + "' is not a category of any queue");
                }
                rules.add(new ReviewRule(priority, queue, category));
            }
        }
        return new Review(threshold, rules);
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new RoutingTableException(where + ", field '" + field + "' must be a string");
        return v.textValue();
    }

    // ------------------------------------------------------------------ questions

    /** Every category, in file order. */
    public Set<String> categories() {
        Set<String> all = new LinkedHashSet<>();
        for (Queue q : queues) all.addAll(q.categories().keySet());
        return all;
    }

    public Optional<Queue> queue(String name) {
        return queues.stream().filter(q -> q.name().equals(name)).findFirst();
    }

    /**
     * Where a category goes, optionally to another queue than its own (a person's choice).
     *
     * @throws IllegalArgumentException for a category or queue the table lacks
     */
    public Route route(String category, String queueOverride) {
        Queue home = queues.stream().filter(q -> q.categories().containsKey(category)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("category '" + category + "' is not in the routing table"));
        Queue target = home;
        if (queueOverride != null && !queueOverride.equals(home.name())) {
            target = queue(queueOverride).orElseThrow(() -> new IllegalArgumentException("queue '" + queueOverride
                    + "' is not in the routing table"));
        }
        String priority = home.categories().get(category);
        return new Route(category, target.name(), priority, slas.get(priority), target.webhook());
    }

    /** The keyword rule a ticket's text matches, with the keyword found, or null. */
    public RuleMatch keywordRule(String text) {
        for (KeywordRule rule : rules) {
            String found = rule.match(text);
            if (found != null) return new RuleMatch(rule, found);
        }
        return null;
    }

    /** A keyword rule and the keyword it found. */
    public record RuleMatch(KeywordRule rule, String keyword) {
    }

    /**
     * Why a triage must be reviewed by a person, or null when it may route alone.
     *
     * @param threshold the confidence threshold in force (the table's, or the classifier's for "auto")
     */
    public String reviewReason(Route route, double confidence, String method, double threshold) {
        for (ReviewRule rule : review.rules()) {
            if (rule.matches(route)) return "the routing table reviews " + rule.describe();
        }
        if (!"rule".equals(method) && confidence < threshold) {
            return String.format(Locale.ROOT, "confidence %.2f is below the review threshold %.2f", confidence, threshold);
        }
        return null;
    }

    /**
     * Every {@code host:port} a queue's webhook names, as allowlist entries: exactly what delivery
     * may reach (see {@link TriageTools}).
     */
    public Set<String> webhookHosts() {
        Set<String> hosts = new LinkedHashSet<>();
        for (Queue q : queues) {
            URI hook = q.webhook();
            if (hook == null) continue;
            String host = hook.getHost().toLowerCase(Locale.ROOT);
            if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
            int port = hook.getPort() != -1 ? hook.getPort() : "https".equalsIgnoreCase(hook.getScheme()) ? 443 : 80;
            hosts.add(host + ":" + port);
        }
        return hosts;
    }

    /** The table as the API shows it ({@code GET /api/routing}); {@code threshold} is the one in force. */
    public ObjectNode toJson(double threshold) {
        ObjectNode out = Json.object();
        ArrayNode qs = out.putArray("queues");
        for (Queue q : queues) {
            ObjectNode qn = qs.addObject();
            qn.put("name", q.name());
            qn.put("description", q.description());
            qn.put("webhook", q.webhook() != null);
            ObjectNode cats = qn.putObject("categories");
            q.categories().forEach(cats::put);
        }
        ArrayNode categories = out.putArray("categories");
        for (Queue q : queues) {
            q.categories().forEach((c, p) -> {
                ObjectNode cn = categories.addObject();
                cn.put("name", c);
                cn.put("label", c.replace('_', ' ').replace("?", "").strip());
                cn.put("queue", q.name());
                cn.put("priority", p);
            });
        }
        ObjectNode s = out.putObject("slas");
        for (String p : PRIORITIES) if (slas.containsKey(p)) s.put(p, slas.get(p).toString());
        ArrayNode rs = out.putArray("rules");
        for (KeywordRule r : rules) {
            ObjectNode rn = rs.addObject();
            ArrayNode kw = rn.putArray("keywords");
            r.keywords().forEach(kw::add);
            rn.put("category", r.category());
        }
        ObjectNode rv = out.putObject("review");
        rv.put("threshold", threshold);
        rv.put("thresholdSource", review.threshold() == null ? "auto" : "table");
        ArrayNode rrs = rv.putArray("rules");
        for (ReviewRule r : review.rules()) {
            ObjectNode rn = rrs.addObject();
            if (r.priority() != null) rn.put("priority", r.priority());
            if (r.queue() != null) rn.put("queue", r.queue());
            if (r.category() != null) rn.put("category", r.category());
        }
        return out;
    }
}
