package dev.baton.server;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of the server's HTTP edge: which names it answers to, how long a client may take
 * to send a request, and how fast one caller may create runs, tickets, triggers and trigger events.
 * The defaults are far above what a person or an ordinary integration does.
 *
 * @param allowedHosts  names besides localhost and IP addresses that the {@code Host} header may carry
 *                      (BATON_ALLOWED_HOSTS); {@code *.example.com} allows the subdomains
 * @param headerTimeout how long a connection may take to send a request's line and headers, counted from
 *                      its opening or from the end of the previous response (BATON_HEADER_TIMEOUT)
 * @param bodyTimeout   how long a request may take to send its body once its headers are in (BATON_BODY_TIMEOUT)
 * @param idleTimeout   how long a connection may pass no byte either way (BATON_IDLE_TIMEOUT)
 * @param rates         the per-caller rate of each limited route; a limit missing from the map is off
 */
public record EdgeSettings(Set<String> allowedHosts, Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout,
                           Map<RateLimits.Limit, Rate> rates) {

    public EdgeSettings {
        allowedHosts = Set.copyOf(allowedHosts);
        rates = rates.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(rates));
    }

    /** The defaults, as {@link Config.Setting} lists them. */
    public static EdgeSettings defaults() {
        return load(s -> s.defaultValue());
    }

    /** The same settings with another rate for one limit ({@code null}: no limit). */
    public EdgeSettings withRate(RateLimits.Limit limit, Rate rate) {
        Map<RateLimits.Limit, Rate> copy = new EnumMap<>(RateLimits.Limit.class);
        copy.putAll(rates);
        if (rate == null) copy.remove(limit);
        else copy.put(limit, rate);
        return new EdgeSettings(allowedHosts, headerTimeout, bodyTimeout, idleTimeout, copy);
    }

    public EdgeSettings withTimeouts(Duration header, Duration body, Duration idle) {
        return new EdgeSettings(allowedHosts, header, body, idle, rates);
    }

    /**
     * A rate: at most {@code count} requests per {@code period}, refilled smoothly (a token bucket
     * holding {@code count}, so a caller may spend a whole period's worth at once).
     */
    public record Rate(long count, Duration period) {
        private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})\\s*/\\s*(s|sec|second|m|min|minute|h|hour)");

        public Rate {
            if (count < 1) throw new IllegalArgumentException("a rate needs a count of at least 1");
            if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("a rate needs a positive period");
        }

        /** {@code 6000/min}, {@code 10/s}, {@code 100/h}; null for {@code off}. */
        static Rate parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            if (t.equals("off")) return null;
            Matcher m = FORMAT.matcher(t);
            if (!m.matches() || Long.parseLong(m.group(1)) < 1) {
                throw new IllegalArgumentException("must look like 6000/min, 100/s or 1000/h (a count of at least 1 per second,"
                        + " minute or hour), or be 'off'; got '" + text + "'");
            }
            Duration period = switch (m.group(2).charAt(0)) {
                case 's' -> Duration.ofSeconds(1);
                case 'm' -> Duration.ofMinutes(1);
                default -> Duration.ofHours(1);
            };
            return new Rate(Long.parseLong(m.group(1)), period);
        }

        @Override
        public String toString() {
            String unit = period.equals(Duration.ofSeconds(1)) ? "s" : period.equals(Duration.ofMinutes(1)) ? "min"
                    : period.equals(Duration.ofHours(1)) ? "h" : period.toString();
            return count + "/" + unit;
        }
    }

    /** Reads the edge settings from the values of {@link Config.Setting} (after options, variables and defaults). */
    static EdgeSettings load(Function<Config.Setting, String> values) {
        Set<String> hosts = hosts(values.apply(Config.Setting.ALLOWED_HOSTS));
        Duration header = timeout(Config.Setting.HEADER_TIMEOUT, values);
        Duration body = timeout(Config.Setting.BODY_TIMEOUT, values);
        Duration idle = timeout(Config.Setting.IDLE_TIMEOUT, values);
        Map<RateLimits.Limit, Rate> rates = new EnumMap<>(RateLimits.Limit.class);
        for (RateLimits.Limit limit : RateLimits.Limit.values()) {
            try {
                Rate rate = Rate.parse(values.apply(limit.setting()));
                if (rate != null) rates.put(limit, rate);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(Config.describe(limit.setting()) + " " + e.getMessage());
            }
        }
        return new EdgeSettings(hosts, header, body, idle, rates);
    }

    private static Duration timeout(Config.Setting setting, Function<Config.Setting, String> values) {
        String text = values.apply(setting).trim();
        Duration d;
        try {
            d = Duration.parse(text.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new ConfigException(Config.describe(setting) + " must be an ISO-8601 duration such as PT30S; got '" + text + "'");
        }
        if (d.compareTo(Duration.ofMillis(100)) < 0 || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException(Config.describe(setting) + " must be from PT0.1S to P1D; got " + text);
        }
        return d;
    }

    /** Host names, comma-separated: {@code baton.example.com}, {@code *.example.com}; no ports, no schemes. */
    private static Set<String> hosts(String text) {
        Set<String> hosts = new LinkedHashSet<>();
        for (String entry : text.split(",")) {
            String name = entry.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) continue;
            String bare = name.startsWith("*.") ? name.substring(2) : name;
            if (!bare.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
                throw new ConfigException(Config.describe(Config.Setting.ALLOWED_HOSTS) + ": '" + entry.trim()
                        + "' is not a host name; list names such as baton.example.com or *.example.com, without scheme or port"
                        + " (IP addresses and localhost are always allowed)");
            }
            hosts.add(name);
        }
        return hosts;
    }
}
