/**
 * The model gateway: every model call Baton makes goes through {@link dev.baton.runtime.model.ModelGateway},
 * which talks to any OpenAI-compatible endpoint through LangChain4j's OpenAI module, retries 429, 5xx and
 * timeouts (honouring {@code Retry-After}), caps concurrent calls, caches repeatable calls and counts
 * calls and tokens per run and per task.
 *
 * <p>Configuration ({@link dev.baton.runtime.model.ModelConfig#fromEnvironment(java.util.Map)}):
 * <pre>
 * OPENAI_BASE_URL               API root, e.g. https://api.openai.com/v1 (required with BATON_MODEL)
 * OPENAI_API_KEY                bearer key; may be empty for Ollama and other local servers
 * BATON_MODEL                   model name; unset = no model configured
 * BATON_MODEL_TEMPERATURE       0.0 by default (calls at 0 are cached)
 * BATON_MODEL_TIMEOUT           per attempt, ISO-8601, PT60S by default
 * BATON_MODEL_MAX_CONCURRENCY   4 by default
 * BATON_MODEL_MAX_RETRIES       3 by default
 * BATON_MODEL_CACHE_SIZE        1000 by default; 0 turns the cache off
 * </pre>
 *
 * <p>Ollama, for example: {@code ollama pull llama3.1}, then
 * {@code OPENAI_BASE_URL=http://localhost:11434/v1 BATON_MODEL=llama3.1} (no key needed).
 */
package dev.baton.runtime.model;
