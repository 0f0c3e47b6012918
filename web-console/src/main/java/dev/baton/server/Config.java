package dev.baton.server;

import dev.baton.triage.Recipe;
import dev.baton.runtime.model.ModelConfig;
import dev.baton.server.notify.NotificationRules;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolSettings;
import dev.baton.tools.mcp.McpServerSpec;
import dev.baton.tools.mcp.McpServers;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The server's settings. Each comes from a command-line option, else from an environment
 * variable, else from its default:
 *
 * <table>
 *   <tr><th>option</th><th>variable</th><th>default</th></tr>
 *   <tr><td>--port</td><td>BATON_PORT</td><td>8080</td></tr>
 *   <tr><td>--host</td><td>BATON_HOST</td><td>127.0.0.1</td></tr>
 *   <tr><td>--data-dir</td><td>BATON_DATA_DIR</td><td>./baton-data</td></tr>
 *   <tr><td>--db-url</td><td>BATON_DB_URL</td><td>empty: H2 file in the data dir; {@code memory}; {@code jdbc:postgresql:...}</td></tr>
 *   <tr><td>--http-allowed-hosts</td><td>BATON_HTTP_ALLOWED_HOSTS</td><td>empty: the http.request tool reaches no host</td></tr>
 *   <tr><td>--tokens</td><td>BATON_TOKENS</td><td>empty: no auth (loopback only)</td></tr>
 *   <tr><td>--notifications</td><td>BATON_NOTIFICATIONS</td><td>empty: no notifications; else a JSON file of rules</td></tr>
 *   <tr><td>--routing</td><td>BATON_ROUTING</td><td>empty: the bundled banking demo routing table</td></tr>
 *   <tr><td>--triage-examples</td><td>BATON_TRIAGE_EXAMPLES</td><td>empty: the bundled BANKING77 examples</td></tr>
 *   <tr><td>--triage-playbook</td><td>BATON_TRIAGE_PLAYBOOK</td><td>empty: the built-in triage playbook</td></tr>
 *   <tr><td>--triage-cache-dir</td><td>BATON_TRIAGE_CACHE_DIR</td><td>empty: ~/.cache/baton</td></tr>
 *   <tr><td>--triage-warm-up</td><td>BATON_TRIAGE_WARM_UP</td><td>true: train the ticket classifier at start (not ready until done)</td></tr>
 *   <tr><td>--triage-recipe</td><td>BATON_TRIAGE_RECIPE</td><td>lr-minilm-bge+knn-bge: what the classifier is made of (see Recipe)</td></tr>
 *   <tr><td>--log-format</td><td>BATON_LOG_FORMAT</td><td>text; or json: one JSON object a line (read by {@link Main})</td></tr>
 *   <tr><td>--webhook-body-limit</td><td>BATON_WEBHOOK_BODY_LIMIT</td><td>256KiB: the largest event body read from a caller without a token</td></tr>
 *   <tr><td>--tool-timeout</td><td>BATON_TOOL_TIMEOUT</td><td>PT30S: one call of a tool that declares no timeout</td></tr>
 *   <tr><td>--shards</td><td>BATON_SHARDS</td><td>0 (half the processors, at least one): event-loop contexts that share the runs</td></tr>
 *   <tr><td>--cluster-host, --cluster-port, --cluster-members, --cluster-lease, --node-id</td><td>BATON_CLUSTER_HOST ...
 *   BATON_NODE_ID</td><td>see {@link ClusterSettings}</td></tr>
 *   <tr><td>--allowed-hosts ... --rate-events</td><td>BATON_ALLOWED_HOSTS ... BATON_RATE_EVENTS</td><td>see {@link EdgeSettings}</td></tr>
 *   <tr><td>--max-event-streams-per-client</td><td>BATON_MAX_EVENT_STREAMS_PER_CLIENT</td><td>100</td></tr>
 *   <tr><td>--max-event-streams</td><td>BATON_MAX_EVENT_STREAMS</td><td>10000</td></tr>
 *   <tr><td>--answer-chat-goals</td><td>BATON_ANSWER_CHAT_GOALS</td><td>true: a goal typed in the console's chat gets an answer
 *   written by the model once its run succeeded (other runs only with {@code options.answer})</td></tr>
 *   <tr><td>--mcp-servers</td><td>BATON_MCP_SERVERS</td><td>empty: no MCP servers; else a JSON file of them (see {@link McpServers})</td></tr>
 * </table>
 *
 * @param tokens       bearer token to caller; empty means no authentication
 * @param model        the chat model (BATON_MODEL, OPENAI_BASE_URL, OPENAI_API_KEY, ...), or null for none
 * @param playbooksDir a folder of the user's playbooks (BATON_PLAYBOOKS_DIR), or null for the built-in ones only
 * @param agentsFile   a JSON file of the user's agents (BATON_AGENTS_FILE), or null for the default agent only
 * @param notifications the notification rules (BATON_NOTIFICATIONS), read and checked at load, or null for none
 * @param triage       ticket triage: routing table, examples, playbook, cache
 * @param webhookBodyLimit the largest event body, in bytes, that {@code POST /api/triggers/{name}/events} reads from a
 *                     caller without a token (BATON_WEBHOOK_BODY_LIMIT); callers with one have {@link BatonServer#BODY_LIMIT}
 * @param toolTimeout  how long one call of a tool that declares no timeout may take (BATON_TOOL_TIMEOUT)
 * @param edge         the HTTP edge: names answered to, request timeouts, per-caller rates

 * @param eventStreams how many event streams one client, and all together, may hold open
 * @param shards       how many event-loop contexts share the runs (BATON_SHARDS; 0: half the available processors, at least one)
 * @param cluster      how this server joins others on the same PostgreSQL journal (BATON_CLUSTER_*, BATON_NODE_ID)
 * @param mcpServers   the MCP servers whose tools join the registry (BATON_MCP_SERVERS), read and checked at load
 * @param answerChatGoals whether a goal typed in the chat ({@code options.chat}) gets a written answer when its
 *                     request does not say ({@code options.answer}) (BATON_ANSWER_CHAT_GOALS, true by default)
 */
public record Config(int port, String host, Path dataDir, String dbUrl, Set<String> allowedHosts,
                     Map<String, Caller> tokens, ModelConfig model, Path playbooksDir, Path agentsFile,
                     NotificationRules notifications, TriageConfig triage, long webhookBodyLimit, Duration toolTimeout,
                     EdgeSettings edge, StreamLimits eventStreams, int shards, ClusterSettings cluster,
                     List<McpServerSpec> mcpServers, boolean answerChatGoals) {

    /** A config whose chat goals get an answer (the default of BATON_ANSWER_CHAT_GOALS). */
    public Config(int port, String host, Path dataDir, String dbUrl, Set<String> allowedHosts,
                  Map<String, Caller> tokens, ModelConfig model, Path playbooksDir, Path agentsFile,
                  NotificationRules notifications, TriageConfig triage, long webhookBodyLimit, Duration toolTimeout,
                  EdgeSettings edge, StreamLimits eventStreams, int shards, ClusterSettings cluster,
                  List<McpServerSpec> mcpServers) {
        this(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage,
                webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers, true);
    }

    /** Every setting: option name, environment variable, default. */
    public enum Setting {
        PORT("--port", "BATON_PORT", "8080"),
        HOST("--host", "BATON_HOST", "127.0.0.1"),
        DATA_DIR("--data-dir", "BATON_DATA_DIR", "baton-data"),
        DB_URL("--db-url", "BATON_DB_URL", ""),
        HTTP_ALLOWED_HOSTS("--http-allowed-hosts", "BATON_HTTP_ALLOWED_HOSTS", ""),
        TOKENS("--tokens", "BATON_TOKENS", ""),
        MODEL("--model", "BATON_MODEL", ""),
        MODEL_BASE_URL("--openai-base-url", "OPENAI_BASE_URL", ""),
        PLAYBOOKS_DIR("--playbooks-dir", "BATON_PLAYBOOKS_DIR", ""),
        AGENTS_FILE("--agents-file", "BATON_AGENTS_FILE", ""),
        NOTIFICATIONS("--notifications", "BATON_NOTIFICATIONS", ""),
        ROUTING("--routing", "BATON_ROUTING", ""),
        TRIAGE_EXAMPLES("--triage-examples", "BATON_TRIAGE_EXAMPLES", ""),
        TRIAGE_PLAYBOOK("--triage-playbook", "BATON_TRIAGE_PLAYBOOK", ""),
        TRIAGE_CACHE_DIR("--triage-cache-dir", "BATON_TRIAGE_CACHE_DIR", "", "~/.cache/baton"),
        TRIAGE_WARM_UP("--triage-warm-up", "BATON_TRIAGE_WARM_UP", "true"),
        TRIAGE_RECIPE("--triage-recipe", "BATON_TRIAGE_RECIPE", "lr-minilm-bge+knn-bge"),
        LOG_FORMAT("--log-format", "BATON_LOG_FORMAT", "text"),
        WEBHOOK_BODY_LIMIT("--webhook-body-limit", "BATON_WEBHOOK_BODY_LIMIT", "256KiB"),
        TOOL_TIMEOUT("--tool-timeout", "BATON_TOOL_TIMEOUT", "PT30S"),
        SHARDS("--shards", "BATON_SHARDS", "0"),
        CLUSTER_HOST("--cluster-host", "BATON_CLUSTER_HOST", "127.0.0.1"),
        CLUSTER_PORT("--cluster-port", "BATON_CLUSTER_PORT", "5701"),
        CLUSTER_MEMBERS("--cluster-members", "BATON_CLUSTER_MEMBERS", ""),
        CLUSTER_LEASE("--cluster-lease", "BATON_CLUSTER_LEASE", "5s"),
        NODE_ID("--node-id", "BATON_NODE_ID", "", "host name and pid"),
        CLUSTER_BUS_PORT("--cluster-bus-port", "BATON_CLUSTER_BUS_PORT", "0"),
        ALLOWED_HOSTS("--allowed-hosts", "BATON_ALLOWED_HOSTS", ""),
        HEADER_TIMEOUT("--header-timeout", "BATON_HEADER_TIMEOUT", "PT30S"),
        BODY_TIMEOUT("--body-timeout", "BATON_BODY_TIMEOUT", "PT5M"),
        IDLE_TIMEOUT("--idle-timeout", "BATON_IDLE_TIMEOUT", "PT2M"),
        RATE_RUNS("--rate-runs", "BATON_RATE_RUNS", "6000/min"),
        RATE_TICKETS("--rate-tickets", "BATON_RATE_TICKETS", "6000/min"),
        RATE_TRIGGERS("--rate-triggers", "BATON_RATE_TRIGGERS", "600/min"),
        RATE_EVENTS("--rate-events", "BATON_RATE_EVENTS", "6000/min"),
        MAX_EVENT_STREAMS_PER_CLIENT("--max-event-streams-per-client", "BATON_MAX_EVENT_STREAMS_PER_CLIENT",
                String.valueOf(StreamLimits.DEFAULTS.perClient())),
        MAX_EVENT_STREAMS("--max-event-streams", "BATON_MAX_EVENT_STREAMS", String.valueOf(StreamLimits.DEFAULTS.total())),
        MCP_SERVERS("--mcp-servers", "BATON_MCP_SERVERS", ""),
        ANSWER_CHAT_GOALS("--answer-chat-goals", "BATON_ANSWER_CHAT_GOALS", "true");

        final String option;
        final String variable;
        final String defaultValue;
        /** What an empty value stands for, where that is a value of its own (a folder, a name); null where empty is just empty. */
        final String emptyMeans;

        Setting(String option, String variable, String defaultValue) {
            this(option, variable, defaultValue, null);
        }

        Setting(String option, String variable, String defaultValue, String emptyMeans) {
            this.option = option;
            this.variable = variable;
            this.defaultValue = defaultValue;
            this.emptyMeans = emptyMeans;
        }

        public String option() { return option; }
        public String variable() { return variable; }
        public String defaultValue() { return defaultValue; }

        /** The default as --help and docs/configuration.md give it: the value, what empty stands for, or "empty". */
        public String describedDefault() {
            if (!defaultValue.isEmpty()) return defaultValue;
            return emptyMeans != null ? emptyMeans : "empty";
        }
    }

    public Config {
        allowedHosts = Set.copyOf(allowedHosts);
        tokens = Map.copyOf(tokens);
        triage = triage == null ? TriageConfig.DEMO : triage;
        toolTimeout = toolTimeout == null ? ToolDescriptor.DEFAULT_TIMEOUT : toolTimeout;
        edge = edge == null ? EdgeSettings.defaults() : edge;
        eventStreams = eventStreams == null ? StreamLimits.DEFAULTS : eventStreams;
        cluster = cluster == null ? ClusterSettings.defaults() : cluster;
        mcpServers = mcpServers == null ? List.of() : List.copyOf(mcpServers);
        if (shards < 0) throw new IllegalArgumentException("shards must be 0 (the default) or more, was " + shards);
    }

    /** The shards the orchestrator uses: the configured number, or its default (half the available processors, at least one). */
    public int shardsOrDefault() {
        return shards > 0 ? shards : dev.baton.runtime.orchestrator.OrchestratorOptions.defaultShards();
    }

    /**
     * Caps on the server-sent event streams ({@code /api/runs/{id}/events}, {@code /api/events})
     * held open at once: per client (its bearer token; without tokens, its IP address) and in all.
     * A stream over either cap is refused with 429.
     *
     * <p>The defaults are far above what people meet: a console tab holds one or two streams, so
     * 100 per client is 50 tabs, or a service following 100 runs at once; 10,000 in all is 100 such
     * clients, and about what one process's file descriptors and heap hold comfortably (a stream
     * costs a socket, a timer and a few KB).
     */
    public record StreamLimits(int perClient, int total) {
        public static final StreamLimits DEFAULTS = new StreamLimits(100, 10_000);

        public StreamLimits {
            if (perClient < 1 || total < 1) throw new IllegalArgumentException("stream limits must be at least 1, got " + perClient + " and " + total);
        }
    }

    /**
     * Ticket triage settings; a null path means the built-in default.
     *
     * @param routing  the routing table JSON (BATON_ROUTING), null for the bundled banking demo
     * @param examples the labelled {@code text,category} CSV (BATON_TRIAGE_EXAMPLES), null for BANKING77
     * @param playbook the triage plan (BATON_TRIAGE_PLAYBOOK), null for the built-in classify, route, deliver
     * @param cacheDir where example embeddings are cached (BATON_TRIAGE_CACHE_DIR), null for ~/.cache/baton
     * @param warmUp   train the classifier in the background at start, the server's readiness waiting for it
     *                 (BATON_TRIAGE_WARM_UP, true by default in {@link #load}); false: on the first ticket
     * @param recipe   what the classifier is made of (BATON_TRIAGE_RECIPE), {@link Recipe#DEFAULT} by default
     */
    public record TriageConfig(Path routing, Path examples, Path playbook, Path cacheDir, boolean warmUp, Recipe recipe) {
        public TriageConfig {
            if (recipe == null) recipe = Recipe.DEFAULT;
        }

        /** With the default recipe. */
        public TriageConfig(Path routing, Path examples, Path playbook, Path cacheDir, boolean warmUp) {
            this(routing, examples, playbook, cacheDir, warmUp, Recipe.DEFAULT);
        }

        /** The bundled demo, built on the first ticket (as the four-argument constructor). */
        public static final TriageConfig DEMO = new TriageConfig(null, null, null, null);

        /** Without warm-up: the classifier is built on the first ticket (or {@code Triage.warmUp()}). */
        public TriageConfig(Path routing, Path examples, Path playbook, Path cacheDir) {
            this(routing, examples, playbook, cacheDir, false);
        }

        public TriageConfig withWarmUp(boolean value) {
            return new TriageConfig(routing, examples, playbook, cacheDir, value, recipe);
        }
    }

    /** How the server's log lines look (BATON_LOG_FORMAT): today's text lines, or one JSON object a line. */
    public enum LogFormat { TEXT, JSON }

    /**
     * The log format the settings name; {@link Main} applies it before the server starts. Not a field of
     * the config: logging is the process's, set up once, and an embedding application keeps its own.
     *
     * @throws ConfigException for a value other than text or json
     */
    public static LogFormat logFormat(String[] args, Map<String, String> env) {
        return logFormat(values(args, env).get(Setting.LOG_FORMAT));
    }

    private static LogFormat logFormat(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "text", "" -> LogFormat.TEXT;
            case "json" -> LogFormat.JSON;
            default -> throw new ConfigException(describe(Setting.LOG_FORMAT) + " must be text or json; got '" + text + "'");
        };
    }

    private static boolean bool(Setting setting, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new ConfigException(describe(setting) + " must be true or false; got '" + text + "'");
        };
    }

    /** Defaults, e.g. for tests and embedding; change what you need with the withers. */
    public static Config defaults() {
        return load(new String[0], Map.of());
    }

    public Config withPort(int value) { return new Config(value, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withDataDir(Path value) { return new Config(port, host, value, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withDbUrl(String value) { return new Config(port, host, dataDir, value, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withAllowedHosts(Set<String> value) { return new Config(port, host, dataDir, dbUrl, value, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withTokens(Map<String, Caller> value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, value, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withModel(ModelConfig value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, value, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withNotifications(NotificationRules value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, value, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withPlaybooksDir(Path value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, value, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withToolTimeout(Duration value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, value, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withTriage(TriageConfig value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, value, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withWebhookBodyLimit(long value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, value, toolTimeout, edge, eventStreams, shards, cluster, mcpServers); }
    public Config withEdge(EdgeSettings value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, value, eventStreams, shards, cluster, mcpServers); }
    public Config withShards(int value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, value, cluster, mcpServers); }
    public Config withCluster(ClusterSettings value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, value, mcpServers); }
    public Config withMcpServers(List<McpServerSpec> value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, eventStreams, shards, cluster, value); }
    public Config withEventStreams(StreamLimits value) { return new Config(port, host, dataDir, dbUrl, allowedHosts, tokens, model, playbooksDir, agentsFile, notifications, triage, webhookBodyLimit, toolTimeout, edge, value, shards, cluster, mcpServers); }

    /**
     * Reads the settings.
     *
     * @throws ConfigException naming the setting at fault and why, for a bad value or an unknown option
     */
    public static Config load(String[] args, Map<String, String> env) {
        Map<Setting, String> values = values(args, env);
        logFormat(values.get(Setting.LOG_FORMAT)); // checked here too, so that a mistake stops the start with the others
        return fromValues(values, env);
    }

    /** Each setting's value: its option, else its variable, else its default. */
    private static Map<Setting, String> values(String[] args, Map<String, String> env) {
        Map<Setting, String> values = new HashMap<>();
        Map<String, Setting> byOption = new LinkedHashMap<>();
        for (Setting s : Setting.values()) byOption.put(s.option, s);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            Setting setting = byOption.get(name);
            if (setting == null) {
                throw new ConfigException("unknown option '" + name + "'; the options are " + String.join(", ", byOption.keySet()));
            }
            if (value == null) {
                if (i + 1 >= args.length) throw new ConfigException("option " + name + " needs a value");
                value = args[++i];
            }
            values.put(setting, value);
        }
        for (Setting s : Setting.values()) {
            if (!values.containsKey(s)) values.put(s, env.getOrDefault(s.variable, s.defaultValue).trim());
        }
        return values;
    }

    private static Config fromValues(Map<Setting, String> values, Map<String, String> env) {
        int port = port(values.get(Setting.PORT));
        String host = values.get(Setting.HOST);
        if (host.isEmpty()) throw new ConfigException(describe(Setting.HOST) + " must not be empty");
        Path dataDir = Path.of(values.get(Setting.DATA_DIR).isEmpty() ? Setting.DATA_DIR.defaultValue : values.get(Setting.DATA_DIR));
        String dbUrl = values.get(Setting.DB_URL);
        if (!dbUrl.isEmpty() && !dbUrl.equals("memory") && !dbUrl.startsWith("jdbc:postgresql:") && !dbUrl.startsWith("jdbc:h2:")) {
            throw new ConfigException(describe(Setting.DB_URL) + " must be empty (an H2 file in the data dir), 'memory',"
                    + " a jdbc:postgresql: URL or a jdbc:h2: URL; got '" + redact(dbUrl) + "'");
        }
        Set<String> allowed = hosts(values.get(Setting.HTTP_ALLOWED_HOSTS));
        Map<String, Caller> tokens = tokens(values.get(Setting.TOKENS));
        if (tokens.isEmpty() && !loopback(host)) {
            throw new ConfigException(describe(Setting.HOST) + " is '" + host + "', which is reachable from other machines, but "
                    + describe(Setting.TOKENS) + " is empty: configure tokens (name:role:token, ...) or bind 127.0.0.1");
        }
        ModelConfig model = model(values, env);
        String playbooks = values.get(Setting.PLAYBOOKS_DIR);
        Path playbooksDir = playbooks.isEmpty() ? null : Path.of(playbooks);
        String agents = values.get(Setting.AGENTS_FILE);
        Path agentsFile = agents.isEmpty() ? null : Path.of(agents);
        String notificationsFile = values.get(Setting.NOTIFICATIONS);
        NotificationRules notifications = null;
        if (!notificationsFile.isEmpty()) {
            try {
                notifications = NotificationRules.load(Path.of(notificationsFile), allowed);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(describe(Setting.NOTIFICATIONS) + " '" + notificationsFile + "': " + e.getMessage());
            }
        }
        TriageConfig triage = new TriageConfig(path(values.get(Setting.ROUTING)), path(values.get(Setting.TRIAGE_EXAMPLES)),
                path(values.get(Setting.TRIAGE_PLAYBOOK)), path(values.get(Setting.TRIAGE_CACHE_DIR)),
                bool(Setting.TRIAGE_WARM_UP, values.get(Setting.TRIAGE_WARM_UP)), recipe(values.get(Setting.TRIAGE_RECIPE)));
        StreamLimits streams = new StreamLimits(count(Setting.MAX_EVENT_STREAMS_PER_CLIENT, values), count(Setting.MAX_EVENT_STREAMS, values));
        long webhookBodyLimit = size(Setting.WEBHOOK_BODY_LIMIT, values.get(Setting.WEBHOOK_BODY_LIMIT), 1024, BatonServer.BODY_LIMIT);
        Duration toolTimeout = toolTimeout(values.get(Setting.TOOL_TIMEOUT));
        int shards = values.get(Setting.SHARDS).equals("0") ? 0 : count(Setting.SHARDS, values);
        List<McpServerSpec> mcpServers = mcpServers(values.get(Setting.MCP_SERVERS), env);
        return new Config(port, host, dataDir, dbUrl, allowed, tokens, model, playbooksDir, agentsFile, notifications, triage,
                webhookBodyLimit, toolTimeout, EdgeSettings.load(values::get), streams, shards, ClusterSettings.load(values::get), mcpServers,
                bool(Setting.ANSWER_CHAT_GOALS, values.get(Setting.ANSWER_CHAT_GOALS)));
    }

    /** The MCP servers file, read now so that a mistake in it stops the start with a message naming the server and key. */
    private static List<McpServerSpec> mcpServers(String file, Map<String, String> env) {
        if (file.isEmpty()) return List.of();
        try {
            return McpServers.load(Path.of(file), env);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(describe(Setting.MCP_SERVERS) + ": " + e.getMessage());
        }
    }

    /** A whole number from 1 to 1,000,000. */
    private static int count(Setting setting, Map<Setting, String> values) {
        String text = values.get(setting);
        try {
            int n = Integer.parseInt(text.replace("_", ""));
            if (n < 1 || n > 1_000_000) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(describe(setting) + " must be a whole number from 1 to 1000000; got '" + text + "'");
        }
    }

    private static Recipe recipe(String name) {
        try {
            return Recipe.named(name);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(describe(Setting.TRIAGE_RECIPE) + ": " + e.getMessage());
        }
    }

    private static Path path(String value) {
        return value == null || value.isEmpty() ? null : Path.of(value);
    }

    /**
     * The model settings: BATON_MODEL and OPENAI_BASE_URL (or their options), and the rest from
     * the environment only. The API key in particular is never an option, so that it does not
     * show in the process list.
     */
    private static ModelConfig model(Map<Setting, String> values, Map<String, String> env) {
        Map<String, String> modelEnv = new HashMap<>(env);
        modelEnv.put(Setting.MODEL.variable, values.get(Setting.MODEL));
        modelEnv.put(Setting.MODEL_BASE_URL.variable, values.get(Setting.MODEL_BASE_URL));
        try {
            return ModelConfig.fromEnvironment(modelEnv).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    static String describe(Setting s) {
        return s.variable + " (" + s.option + ")";
    }

    private static int port(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) throw new NumberFormatException();
            return port;
        } catch (NumberFormatException e) {
            throw new ConfigException(describe(Setting.PORT) + " must be a port number from 0 to 65535 (0 = any free port); got '" + text + "'");
        }
    }

    private static final java.util.regex.Pattern SIZE = java.util.regex.Pattern.compile("([0-9]{1,12})\\s*(|B|KiB|MiB)", java.util.regex.Pattern.CASE_INSENSITIVE);

    /** A size in bytes: {@code 262144}, {@code 256KiB}, {@code 1MiB}. */
    private static long size(Setting setting, String text, long min, long max) {
        var m = SIZE.matcher(text);
        long bytes = -1;
        if (m.matches()) {
            long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "kib" -> 1024;
                case "mib" -> 1024 * 1024;
                default -> 1;
            };
            bytes = Long.parseLong(m.group(1)) * unit;
        }
        if (bytes < min || bytes > max) {
            throw new ConfigException(describe(setting) + " must be a size from " + min + " bytes to " + (max >> 20) + "MiB, in bytes"
                    + " or with KiB or MiB (256KiB); got '" + text + "'");
        }
        return bytes;
    }

    /** A positive ISO-8601 duration of at most a day: a tool call is not meant to take longer, and no timer may overflow. */
    private static Duration toolTimeout(String text) {
        String value = text.isEmpty() ? Setting.TOOL_TIMEOUT.defaultValue : text;
        Duration timeout;
        try {
            timeout = Duration.parse(value);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ConfigException(describe(Setting.TOOL_TIMEOUT) + " must be an ISO-8601 duration such as PT30S or PT5M; got '" + text + "'");
        }
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException(describe(Setting.TOOL_TIMEOUT) + " must be more than zero and at most a day (P1D); got '" + text + "'");
        }
        return timeout;
    }

    private static Set<String> hosts(String text) {
        try {
            return ToolSettings.parse(text).allowedHosts();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(describe(Setting.HTTP_ALLOWED_HOSTS) + ": " + e.getMessage());
        }
    }

    /** {@code name:role[+role]:token}, comma-separated. */
    static Map<String, Caller> tokens(String text) {
        Map<String, Caller> tokens = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        int index = 0;
        for (String entry : text.split(",")) {
            index++;
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) continue;
            String[] parts = trimmed.split(":", 3);
            String where = describe(Setting.TOKENS) + ", entry " + index;
            if (parts.length != 3) {
                throw new ConfigException(where + " must look like name:role:token (roles: viewer, operator, approver, admin; join several with +)");
            }
            String name = parts[0].trim();
            if (name.isEmpty()) throw new ConfigException(where + " has an empty name");
            if (names.contains(name)) throw new ConfigException(where + " repeats the name '" + name + "'");
            Set<Role> roles = new LinkedHashSet<>();
            for (String role : parts[1].split("\\+")) {
                try {
                    roles.add(Role.valueOf(role.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(where + " ('" + name + "') has unknown role '" + role.trim() + "'; the roles are viewer, operator, approver, admin");
                }
            }
            String token = parts[2].trim();
            if (token.length() < 16) {
                throw new ConfigException(where + " ('" + name + "') has a token of " + token.length() + " characters; use at least 16 random characters");
            }
            if (tokens.containsKey(token)) throw new ConfigException(where + " ('" + name + "') reuses another entry's token");
            names.add(name);
            tokens.put(token, new Caller(name, roles));
        }
        return tokens;
    }

    static boolean loopback(String host) {
        if (host.equals("localhost")) return true;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (Exception e) {
            return false;
        }
    }

    /** A database URL without its password, for messages. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
