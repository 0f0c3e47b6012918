package dev.baton.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config.load: documented defaults, options over variables, and errors that name the setting at fault. */
class ConfigTest {
    private static final String[] NO_ARGS = new String[0];

    private static ConfigException refused(String[] args, Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> Config.load(args, env));
    }

    private static void assertMentions(ConfigException e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message should mention '" + fragment + "': " + e.getMessage());
        }
    }

    @Test
    void defaultsAreAsDocumented() {
        Config config = Config.load(NO_ARGS, Map.of());
        assertEquals(8080, config.port());
        assertEquals("127.0.0.1", config.host());
        assertEquals(Path.of("baton-data"), config.dataDir());
        assertEquals("", config.dbUrl());
        assertTrue(config.allowedHosts().isEmpty(), "the http.request tool reaches no host by default");
        assertTrue(config.tokens().isEmpty(), "no auth by default (loopback only)");
        assertEquals(256 * 1024, config.webhookBodyLimit());
        assertEquals(config, Config.defaults());
    }

    @Test
    void theWebhookBodyLimitTakesBytesKibOrMib() {
        assertEquals(4096, Config.load(NO_ARGS, Map.of("BATON_WEBHOOK_BODY_LIMIT", "4096")).webhookBodyLimit());
        assertEquals(64 * 1024, Config.load(new String[]{"--webhook-body-limit", "64KiB"}, Map.of()).webhookBodyLimit());
        assertEquals(2 * 1024 * 1024, Config.load(NO_ARGS, Map.of("BATON_WEBHOOK_BODY_LIMIT", "2 mib")).webhookBodyLimit());
        for (String bad : new String[]{"lots", "-1", "12", "11MiB", "1.5MiB"}) {
            assertMentions(refused(NO_ARGS, Map.of("BATON_WEBHOOK_BODY_LIMIT", bad)), "BATON_WEBHOOK_BODY_LIMIT", "--webhook-body-limit", bad);
        }
    }

    @Test
    void theTriageRecipeIsANamedPresetAndAnUnknownOneIsRefusedWithTheNames() {
        assertEquals(dev.baton.triage.Recipe.DEFAULT, Config.load(NO_ARGS, Map.of()).triage().recipe());
        assertEquals(dev.baton.triage.Recipe.FIRST_LOOK, Config.load(NO_ARGS,
                Map.of("BATON_TRIAGE_RECIPE", "minilm-first+lr-minilm-bge+knn-bge")).triage().recipe());
        assertEquals(dev.baton.triage.Recipe.named("knn-bge"),
                Config.load(new String[]{"--triage-recipe", "knn-bge"}, Map.of()).triage().recipe());
        assertMentions(refused(NO_ARGS, Map.of("BATON_TRIAGE_RECIPE", "bert-large")), "BATON_TRIAGE_RECIPE", "--triage-recipe",
                "bert-large", "minilm-first+lr-minilm-bge+knn-bge");
    }

    @Test
    void shardsAreHalfTheProcessorsUnlessSetAndMustBeAWholeNumber() {
        assertEquals(Math.max(1, Runtime.getRuntime().availableProcessors() / 2), Config.load(NO_ARGS, Map.of()).shardsOrDefault());
        assertEquals(1, Config.load(NO_ARGS, Map.of("BATON_SHARDS", "1")).shardsOrDefault());
        assertEquals(3, Config.load(new String[]{"--shards", "3"}, Map.of("BATON_SHARDS", "1")).shardsOrDefault());
        for (String bad : new String[]{"two", "-1", "1.5"}) {
            assertMentions(refused(NO_ARGS, Map.of("BATON_SHARDS", bad)), "BATON_SHARDS", "--shards", bad);
        }
    }

    @Test
    void theToolTimeoutIsThirtySecondsUnlessSetAndMustBePositiveAndAtMostADay() {
        assertEquals(Duration.ofSeconds(30), Config.load(NO_ARGS, Map.of()).toolTimeout());
        assertEquals(Duration.ofMinutes(5), Config.load(NO_ARGS, Map.of("BATON_TOOL_TIMEOUT", "PT5M")).toolTimeout());
        assertEquals(Duration.ofSeconds(10), Config.load(new String[]{"--tool-timeout", "PT10S"}, Map.of("BATON_TOOL_TIMEOUT", "PT5M")).toolTimeout());
        for (String bad : new String[]{"30s", "PT0S", "-PT1S", "P2D"}) {
            assertMentions(refused(NO_ARGS, Map.of("BATON_TOOL_TIMEOUT", bad)), "BATON_TOOL_TIMEOUT", "--tool-timeout", bad);
        }
    }

    @Test
    void variablesAreReadAndOptionsWinOverThem() {
        Map<String, String> env = Map.of("BATON_PORT", "9090", "BATON_HTTP_ALLOWED_HOSTS", "api.example.com, *.internal.example.com",
                "BATON_DB_URL", "memory");
        Config fromEnv = Config.load(NO_ARGS, env);
        assertEquals(9090, fromEnv.port());
        assertEquals("memory", fromEnv.dbUrl());
        assertEquals(Set.of("api.example.com", "*.internal.example.com"), fromEnv.allowedHosts());

        Config withOptions = Config.load(new String[]{"--port", "7070", "--db-url=jdbc:h2:mem:x"}, env);
        assertEquals(7070, withOptions.port());
        assertEquals("jdbc:h2:mem:x", withOptions.dbUrl());
    }

    @Test
    void eventStreamCapsDefaultFarAboveUseAndAreSetByVariableOrOption() {
        assertEquals(new Config.StreamLimits(100, 10_000), Config.load(NO_ARGS, Map.of()).eventStreams());
        Config set = Config.load(new String[]{"--max-event-streams", "2500"}, Map.of("BATON_MAX_EVENT_STREAMS_PER_CLIENT", "20"));
        assertEquals(new Config.StreamLimits(20, 2500), set.eventStreams());
        for (String bad : new String[]{"0", "-1", "many", "1.5", "2000000"}) {
            assertMentions(refused(NO_ARGS, Map.of("BATON_MAX_EVENT_STREAMS_PER_CLIENT", bad)),
                    "BATON_MAX_EVENT_STREAMS_PER_CLIENT", "--max-event-streams-per-client", "'" + bad + "'");
            assertMentions(refused(new String[]{"--max-event-streams=" + bad}, Map.of()), "BATON_MAX_EVENT_STREAMS", "'" + bad + "'");
        }
    }

    @Test
    void tokensParseIntoCallersWithRoles() {
        Config config = Config.load(new String[]{"--tokens",
                "ann:viewer:aaaaaaaaaaaaaaaa1, bob:operator+approver:bbbbbbbbbbbbbbbb2,root:admin:cccccccccccccccc3"}, Map.of());
        Map<String, Caller> tokens = config.tokens();
        assertEquals(3, tokens.size());
        assertEquals(new Caller("ann", Set.of(Role.VIEWER)), tokens.get("aaaaaaaaaaaaaaaa1"));
        Caller bob = tokens.get("bbbbbbbbbbbbbbbb2");
        assertEquals("bob", bob.name());
        assertTrue(bob.may(Role.OPERATOR) && bob.may(Role.APPROVER) && !bob.admin());
        assertTrue(tokens.get("cccccccccccccccc3").admin());
    }

    @Test
    void aPortThatIsNotANumberNamesTheVariable() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_PORT", "abc"));
        assertMentions(e, "BATON_PORT", "--port", "'abc'");
        assertMentions(refused(NO_ARGS, Map.of("BATON_PORT", "70000")), "BATON_PORT", "70000");
        assertMentions(refused(new String[]{"--port", "-1"}, Map.of()), "BATON_PORT", "-1");
    }

    @Test
    void aPublicHostWithoutTokensIsRefused() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_HOST", "0.0.0.0"));
        assertMentions(e, "BATON_HOST", "0.0.0.0", "BATON_TOKENS");
        // with tokens it is allowed
        Config config = Config.load(NO_ARGS, Map.of("BATON_HOST", "0.0.0.0", "BATON_TOKENS", "ops:admin:0123456789abcdef0123"));
        assertEquals("0.0.0.0", config.host());
        // loopback names need no tokens
        assertEquals("localhost", Config.load(new String[]{"--host", "localhost"}, Map.of()).host());
        assertEquals("::1", Config.load(new String[]{"--host", "::1"}, Map.of()).host());
    }

    @Test
    void malformedTokensNameTheVariableAndTheEntry() {
        assertMentions(refused(NO_ARGS, Map.of("BATON_TOKENS", "just-a-token-without-colons")), "BATON_TOKENS", "entry 1",
                "name:role:token");
        assertMentions(refused(NO_ARGS, Map.of("BATON_TOKENS", "ann:viewer:aaaaaaaaaaaaaaaa1,bob:operator")), "BATON_TOKENS", "entry 2");
        assertMentions(refused(NO_ARGS, Map.of("BATON_TOKENS", ":viewer:aaaaaaaaaaaaaaaa1")), "BATON_TOKENS", "empty name");
    }

    @Test
    void anUnknownRoleIsRefused() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_TOKENS", "ann:superuser:aaaaaaaaaaaaaaaa1"));
        assertMentions(e, "BATON_TOKENS", "ann", "unknown role 'superuser'", "viewer, operator, approver, admin");
    }

    @Test
    void aShortTokenIsRefused() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_TOKENS", "ann:viewer:short"));
        assertMentions(e, "BATON_TOKENS", "ann", "5 characters", "16");
    }

    @Test
    void repeatedNamesOrTokensAreRefused() {
        assertMentions(refused(NO_ARGS, Map.of("BATON_TOKENS", "ann:viewer:aaaaaaaaaaaaaaaa1,ann:admin:bbbbbbbbbbbbbbbb2")),
                "BATON_TOKENS", "repeats the name 'ann'");
        assertMentions(refused(NO_ARGS, Map.of("BATON_TOKENS", "ann:viewer:aaaaaaaaaaaaaaaa1,bob:admin:aaaaaaaaaaaaaaaa1")),
                "BATON_TOKENS", "reuses");
    }

    @Test
    void anUnsupportedDatabaseUrlIsRefused() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_DB_URL", "mysql://x"));
        assertMentions(e, "BATON_DB_URL", "mysql://x", "jdbc:postgresql:");
    }

    @Test
    void theDatabasePasswordIsNotEchoed() {
        ConfigException e = refused(NO_ARGS, Map.of("BATON_DB_URL", "mysql://db?user=u&password=hunter2"));
        assertMentions(e, "BATON_DB_URL");
        assertFalse(e.getMessage().contains("hunter2"), "the password must be redacted: " + e.getMessage());
    }

    @Test
    void anUnknownOptionIsRefusedWithTheKnownOnes() {
        ConfigException e = refused(new String[]{"--prot", "8080"}, Map.of());
        assertMentions(e, "unknown option '--prot'", "--port");
        assertMentions(refused(new String[]{"--port"}, Map.of()), "--port", "needs a value");
    }

    @Test
    void urlsInTheAllowedHostsAreRefused() {
        assertMentions(refused(NO_ARGS, Map.of("BATON_HTTP_ALLOWED_HOSTS", "https://api.example.com/")), "BATON_HTTP_ALLOWED_HOSTS");
    }

    @Test
    void anEmptyHostIsRefused() {
        assertMentions(refused(new String[]{"--host="}, Map.of()), "BATON_HOST");
    }

    @Test
    void theEdgeDefaultsAreAsDocumented() {
        EdgeSettings edge = Config.load(NO_ARGS, Map.of()).edge();
        assertTrue(edge.allowedHosts().isEmpty());
        assertEquals(java.time.Duration.ofSeconds(30), edge.headerTimeout());
        assertEquals(java.time.Duration.ofMinutes(5), edge.bodyTimeout());
        assertEquals(java.time.Duration.ofMinutes(2), edge.idleTimeout());
        assertEquals("6000/min", edge.rates().get(RateLimits.Limit.RUNS).toString());
        assertEquals("6000/min", edge.rates().get(RateLimits.Limit.TICKETS).toString());
        assertEquals("600/min", edge.rates().get(RateLimits.Limit.TRIGGERS).toString());
        assertEquals("6000/min", edge.rates().get(RateLimits.Limit.EVENTS).toString());
        assertEquals(EdgeSettings.defaults(), edge);
    }

    @Test
    void edgeSettingsAreReadFromVariablesAndOptions() {
        EdgeSettings edge = Config.load(new String[]{"--rate-runs", "10/s", "--header-timeout=pt2s"},
                Map.of("BATON_ALLOWED_HOSTS", "Baton.Example.com, *.corp.example", "BATON_RATE_EVENTS", "off",
                        "BATON_RATE_TICKETS", "100 / hour", "BATON_IDLE_TIMEOUT", "PT10M")).edge();
        assertEquals(Set.of("baton.example.com", "*.corp.example"), edge.allowedHosts());
        assertEquals(new EdgeSettings.Rate(10, java.time.Duration.ofSeconds(1)), edge.rates().get(RateLimits.Limit.RUNS));
        assertEquals(new EdgeSettings.Rate(100, java.time.Duration.ofHours(1)), edge.rates().get(RateLimits.Limit.TICKETS));
        assertFalse(edge.rates().containsKey(RateLimits.Limit.EVENTS), "off: no limit");
        assertEquals(java.time.Duration.ofSeconds(2), edge.headerTimeout());
        assertEquals(java.time.Duration.ofMinutes(10), edge.idleTimeout());
    }

    @Test
    void badEdgeSettingsNameTheSetting() {
        assertMentions(refused(new String[]{"--rate-runs", "fast"}, Map.of()), "BATON_RATE_RUNS", "6000/min", "'fast'");
        assertMentions(refused(new String[]{"--rate-triggers", "0/min"}, Map.of()), "BATON_RATE_TRIGGERS", "at least 1");
        assertMentions(refused(NO_ARGS, Map.of("BATON_RATE_TICKETS", "5/day")), "BATON_RATE_TICKETS");
        assertMentions(refused(new String[]{"--header-timeout", "30"}, Map.of()), "BATON_HEADER_TIMEOUT", "PT30S");
        assertMentions(refused(new String[]{"--body-timeout", "PT0S"}, Map.of()), "BATON_BODY_TIMEOUT", "PT0.1S");
        assertMentions(refused(new String[]{"--idle-timeout", "P2D"}, Map.of()), "BATON_IDLE_TIMEOUT", "P1D");
        assertMentions(refused(new String[]{"--allowed-hosts", "https://baton.example.com"}, Map.of()), "BATON_ALLOWED_HOSTS", "without scheme");
        assertMentions(refused(new String[]{"--allowed-hosts", "baton.example.com:8080"}, Map.of()), "BATON_ALLOWED_HOSTS");
        assertMentions(refused(new String[]{"--allowed-hosts", "*"}, Map.of()), "BATON_ALLOWED_HOSTS");
    }

    @Test
    void mcpServersAreReadFromTheirFileAndAMistakeNamesTheVariableServerAndKey() throws Exception {
        assertEquals(java.util.List.of(), Config.load(NO_ARGS, Map.of()).mcpServers());
        Path file = java.nio.file.Files.createTempFile("mcp", ".json");
        try {
            java.nio.file.Files.writeString(file, "{\"mcpServers\": {\"gh\": {\"url\": \"https://h.example/mcp\","
                    + " \"headers\": {\"Authorization\": \"Bearer ${GH_TOKEN}\"}}}}");
            Config config = Config.load(new String[]{"--mcp-servers", file.toString()}, Map.of("GH_TOKEN", "t0ken"));
            assertEquals("gh", config.mcpServers().get(0).name());
            assertEquals(Map.of("Authorization", "Bearer t0ken"),
                    ((dev.baton.tools.mcp.McpServerSpec.StreamableHttp) config.mcpServers().get(0).transport()).headers());

            ConfigException missing = refused(NO_ARGS, Map.of("BATON_MCP_SERVERS", file.toString()));
            assertMentions(missing, "BATON_MCP_SERVERS (--mcp-servers)", "MCP server 'gh'", "headers.Authorization", "GH_TOKEN");
            java.nio.file.Files.writeString(file, "{\"mcpServers\": {\"gh\": {\"command\": \"node\", \"cwd\": \"/tmp\"}}}");
            assertMentions(refused(NO_ARGS, Map.of("BATON_MCP_SERVERS", file.toString())), "MCP server 'gh'", "unknown key 'cwd'");
        } finally {
            java.nio.file.Files.delete(file);
        }
        assertMentions(refused(NO_ARGS, Map.of("BATON_MCP_SERVERS", "/nonexistent/mcp.json")), "BATON_MCP_SERVERS", "cannot be read");
    }
}
