package dev.baton.runtime.model;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {

    private static final String KEY = "sk-test-SECRET-0123456789abcdef";

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void noModelMeansNoConfig() {
        assertTrue(ModelConfig.fromEnvironment(env("OPENAI_BASE_URL", "http://x/v1", "OPENAI_API_KEY", KEY)).isEmpty());
        assertTrue(ModelConfig.fromEnvironment(env("BATON_MODEL", "  ")).isEmpty());
    }

    @Test
    void defaults() {
        ModelConfig c = ModelConfig.fromEnvironment(env("BATON_MODEL", "llama3.1", "OPENAI_BASE_URL", "http://localhost:11434/v1")).orElseThrow();
        assertEquals("llama3.1", c.model());
        assertEquals("", c.apiKey());
        assertFalse(c.hasApiKey());
        assertEquals(0.0, c.temperature());
        assertEquals(Duration.ofSeconds(60), c.timeout());
        assertEquals(4, c.maxConcurrentCalls());
        assertEquals(3, c.maxRetries());
        assertEquals(1000, c.cacheSize());
        assertFalse(c.cacheNonZeroTemperature());
    }

    @Test
    void everyVariable() {
        ModelConfig c = ModelConfig.fromEnvironment(env("BATON_MODEL", "gpt-4o-mini", "OPENAI_BASE_URL", "https://api.openai.com/v1",
                "OPENAI_API_KEY", KEY, "BATON_MODEL_TEMPERATURE", "0.5", "BATON_MODEL_TIMEOUT", "PT2M",
                "BATON_MODEL_MAX_CONCURRENCY", "8", "BATON_MODEL_MAX_RETRIES", "0", "BATON_MODEL_CACHE_SIZE", "0")).orElseThrow();
        assertEquals(KEY, c.apiKey());
        assertEquals(0.5, c.temperature());
        assertEquals(Duration.ofMinutes(2), c.timeout());
        assertEquals(8, c.maxConcurrentCalls());
        assertEquals(0, c.maxRetries());
        assertEquals(0, c.cacheSize());
    }

    @Test
    void missingBaseUrlExplainsOllama() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelConfig.fromEnvironment(env("BATON_MODEL", "llama3.1", "OPENAI_API_KEY", KEY)));
        assertTrue(e.getMessage().contains("OPENAI_BASE_URL"), e.getMessage());
        assertTrue(e.getMessage().contains("http://localhost:11434/v1"), e.getMessage());
        assertFalse(e.getMessage().contains(KEY));
    }

    @Test
    void badValuesNameTheVariable() {
        String[][] cases = {
                {"BATON_MODEL_TEMPERATURE", "hot"}, {"BATON_MODEL_TEMPERATURE", "3"},
                {"BATON_MODEL_TIMEOUT", "60s"}, {"BATON_MODEL_TIMEOUT", "PT0S"},
                {"BATON_MODEL_MAX_CONCURRENCY", "0"}, {"BATON_MODEL_MAX_CONCURRENCY", "four"},
                {"BATON_MODEL_MAX_RETRIES", "-1"}, {"BATON_MODEL_CACHE_SIZE", "lots"},
                {"OPENAI_BASE_URL", "localhost:11434"}};
        for (String[] bad : cases) {
            Map<String, String> e = env("BATON_MODEL", "m", "OPENAI_BASE_URL", "http://h/v1", "OPENAI_API_KEY", KEY);
            e.put(bad[0], bad[1]);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromEnvironment(e), bad[0]);
            assertTrue(ex.getMessage().contains(bad[0]), ex.getMessage());
            assertFalse(ex.getMessage().contains(KEY));
        }
    }

    @Test
    void toStringRedactsTheKey() {
        ModelConfig c = ModelConfig.builder().baseUrl("http://h/v1").model("m").apiKey(KEY).build();
        assertFalse(c.toString().contains(KEY), c.toString());
        assertFalse(c.toString().contains("SECRET"), c.toString());
        assertTrue(c.toString().contains("apiKey=***"), c.toString());
        assertTrue(c.toString().contains("model=m"), c.toString());
    }
}
