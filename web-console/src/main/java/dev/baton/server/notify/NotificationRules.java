package dev.baton.server.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.json.Json;
import dev.baton.tools.http.HostAllowlist;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The notification rules of {@code BATON_NOTIFICATIONS}: a JSON file read and checked once at
 * start. Every fault names the rule and the field.
 *
 * <pre>{@code
 * {
 *   "consoleUrl": "https://baton.example.com",
 *   "retry": {"maxAttempts": 8, "initialBackoff": "PT1S", "maxBackoff": "PT5M"},
 *   "rules": [
 *     {"name": "failures",  "on": "run_failed",        "webhook": "https://hooks.slack.com/services/..."},
 *     {"name": "approvals", "on": "approval_waiting",  "webhook": "https://hooks.slack.com/services/..."},
 *     {"name": "expiring",  "on": "approval_expiring", "before": "PT10M", "webhook": "..."},
 *     {"name": "flaky",     "on": "task_retried",      "moreThan": 2, "webhook": "..."},
 *     {"name": "slow",      "on": "run_sla",           "after": "PT30M", "webhook": "..."}
 *   ]
 * }
 * }</pre>
 *
 * @param rules      the rules, names unique
 * @param retry      how a failed send is retried
 * @param consoleUrl the console's public address, for links in messages; null for no links
 * @param checkEvery how often time-based rules (approval_expiring, run_sla) are checked and due messages sent
 * @param catchUp    after a start, failed runs this recent get their run_failed notification if it is missing
 */
public record NotificationRules(List<Rule> rules, Retry retry, String consoleUrl, Duration checkEvery, Duration catchUp) {

    /** What a rule reacts to. */
    public enum On {
        /** An approval started waiting for a person. */
        APPROVAL_WAITING,
        /** A pending approval's deadline is less than {@code before} away. */
        APPROVAL_EXPIRING,
        /** A run failed. */
        RUN_FAILED,
        /** A task's attempt failed and it was scheduled again for more than {@code moreThan} times. */
        TASK_RETRIED,
        /** A run is still unfinished {@code after} its start. */
        RUN_SLA;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One rule.
     *
     * @param before   APPROVAL_EXPIRING only: how long before the deadline
     * @param after    RUN_SLA only: how long a run may take
     * @param moreThan TASK_RETRIED only: retries allowed before telling anyone
     */
    public record Rule(String name, On on, URI webhook, Duration before, Duration after, int moreThan) {
    }

    /** Exponential backoff from {@code initialBackoff}, doubling up to {@code maxBackoff}, {@code maxAttempts} sends at most. */
    public record Retry(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        public Duration backoff(int attemptsSoFar) {
            long ms = initialBackoff.toMillis();
            for (int i = 1; i < attemptsSoFar && ms < maxBackoff.toMillis(); i++) ms *= 2;
            return Duration.ofMillis(Math.min(ms, maxBackoff.toMillis()));
        }
    }

    static final Retry DEFAULT_RETRY = new Retry(8, Duration.ofSeconds(1), Duration.ofMinutes(5));
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> TOP_FIELDS = Set.of("rules", "retry", "consoleUrl", "checkEvery", "catchUp");
    private static final Set<String> RULE_FIELDS = Set.of("name", "on", "webhook", "before", "after", "moreThan");

    public NotificationRules {
        rules = List.copyOf(rules);
    }

    /** Reads and checks the file; {@code allowedHosts} is the http.request allowlist every webhook must be on. */
    public static NotificationRules load(Path file, Set<String> allowedHosts) {
        String text;
        try {
            text = Files.readString(file);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read '" + file + "': " + e.getMessage());
        }
        return parse(text, allowedHosts);
    }

    /** Parses the JSON text; see {@link #load}. */
    public static NotificationRules parse(String text, Set<String> allowedHosts) {
        JsonNode root;
        try {
            root = Json.parse(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("must be a JSON object with a 'rules' array");
        unknownFields(root, TOP_FIELDS, "the file");
        JsonNode list = root.path("rules");
        if (!list.isArray() || list.isEmpty()) throw new IllegalArgumentException("field 'rules' must be a non-empty array of rules");
        HostAllowlist allowlist = new HostAllowlist(allowedHosts);
        List<Rule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode r = list.get(i);
            String where = "rules[" + i + "]";
            if (!r.isObject()) throw new IllegalArgumentException(where + " must be an object");
            String name = r.path("name").asText("");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(where + " field 'name' must be 1 to 64 letters, digits, '_', '.' or '-' (starting with a letter or digit); got '" + name + "'");
            }
            where = "rule '" + name + "'";
            if (!names.add(name)) throw new IllegalArgumentException(where + " field 'name': the name is used twice");
            unknownFields(r, RULE_FIELDS, where);
            String onText = r.path("on").asText("");
            On on;
            try {
                on = On.valueOf(onText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + " field 'on' must be one of approval_waiting, approval_expiring, run_failed,"
                        + " task_retried, run_sla; got '" + onText + "'");
            }
            URI webhook = webhook(r.path("webhook").asText(""), where, allowlist);
            Duration before = null;
            Duration after = null;
            int moreThan = 0;
            if (on == On.APPROVAL_EXPIRING) {
                before = duration(r.path("before"), where + " field 'before'", true);
            } else if (r.has("before")) {
                throw new IllegalArgumentException(where + " field 'before' applies to approval_expiring rules only");
            }
            if (on == On.RUN_SLA) {
                after = duration(r.path("after"), where + " field 'after'", true);
            } else if (r.has("after")) {
                throw new IllegalArgumentException(where + " field 'after' applies to run_sla rules only");
            }
            if (on == On.TASK_RETRIED) {
                JsonNode n = r.path("moreThan");
                if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
                    throw new IllegalArgumentException(where + " field 'moreThan' must be a whole number of retries, 0 or more; got " + n);
                }
                moreThan = n.asInt();
            } else if (r.has("moreThan")) {
                throw new IllegalArgumentException(where + " field 'moreThan' applies to task_retried rules only");
            }
            rules.add(new Rule(name, on, webhook, before, after, moreThan));
        }
        Retry retry = DEFAULT_RETRY;
        JsonNode retryNode = root.path("retry");
        if (!retryNode.isMissingNode()) {
            if (!retryNode.isObject()) throw new IllegalArgumentException("field 'retry' must be an object");
            unknownFields(retryNode, Set.of("maxAttempts", "initialBackoff", "maxBackoff"), "field 'retry'");
            int max = retryNode.path("maxAttempts").asInt(DEFAULT_RETRY.maxAttempts());
            if (max < 1 || max > 100) throw new IllegalArgumentException("field 'retry.maxAttempts' must be from 1 to 100; got " + max);
            Duration initial = retryNode.has("initialBackoff") ? duration(retryNode.get("initialBackoff"), "field 'retry.initialBackoff'", true)
                    : DEFAULT_RETRY.initialBackoff();
            Duration maximum = retryNode.has("maxBackoff") ? duration(retryNode.get("maxBackoff"), "field 'retry.maxBackoff'", true)
                    : DEFAULT_RETRY.maxBackoff();
            if (maximum.compareTo(initial) < 0) throw new IllegalArgumentException("field 'retry.maxBackoff' must not be shorter than 'retry.initialBackoff'");
            retry = new Retry(max, initial, maximum);
        }
        String consoleUrl = null;
        if (root.hasNonNull("consoleUrl")) {
            consoleUrl = root.get("consoleUrl").asText().replaceAll("/+$", "");
            if (!consoleUrl.startsWith("http://") && !consoleUrl.startsWith("https://")) {
                throw new IllegalArgumentException("field 'consoleUrl' must be an http or https address; got '" + consoleUrl + "'");
            }
        }
        Duration checkEvery = root.has("checkEvery") ? duration(root.get("checkEvery"), "field 'checkEvery'", true) : Duration.ofSeconds(1);
        Duration catchUp = root.has("catchUp") ? duration(root.get("catchUp"), "field 'catchUp'", false) : Duration.ofHours(1);
        return new NotificationRules(rules, retry, consoleUrl, checkEvery, catchUp);
    }

    public boolean any(On on) {
        return rules.stream().anyMatch(r -> r.on() == on);
    }

    private static URI webhook(String text, String where, HostAllowlist allowlist) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(where + " field 'webhook' is not a URL: '" + text + "'");
        }
        if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException(where + " field 'webhook' must be an absolute http or https URL; got '" + text + "'");
        }
        if (!allowlist.allows(uri)) {
            throw new IllegalArgumentException(where + " field 'webhook': host '" + uri.getHost()
                    + "' is not on BATON_HTTP_ALLOWED_HOSTS (notifications are sent by the http.request tool, which reaches allowed hosts only)");
        }
        return uri;
    }

    /** ISO-8601 ({@code PT5M}) or a number with a unit: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}. */
    static Duration duration(JsonNode node, String where, boolean positive) {
        String text = node == null ? "" : node.asText("");
        Duration d = null;
        try {
            if (text.matches("\\d+(ms|s|m|h)")) {
                long n = Long.parseLong(text.replaceAll("\\D", ""));
                d = text.endsWith("ms") ? Duration.ofMillis(n) : text.endsWith("s") ? Duration.ofSeconds(n)
                        : text.endsWith("m") ? Duration.ofMinutes(n) : Duration.ofHours(n);
            } else {
                d = Duration.parse(text);
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            // below
        }
        if (d == null || d.isNegative() || (positive && d.isZero())) {
            throw new IllegalArgumentException(where + " must be a " + (positive ? "positive " : "") + "duration like PT5M, 30s, 5m or 2h; got '" + text + "'");
        }
        return d;
    }

    private static void unknownFields(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) throw new IllegalArgumentException(where + " has unknown field '" + f + "'; the fields are " + new java.util.TreeSet<>(known));
        }
    }
}
