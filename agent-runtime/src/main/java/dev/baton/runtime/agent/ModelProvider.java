package dev.baton.runtime.agent;

import dev.langchain4j.model.chat.ChatModel;

/**
 * Gives an agent task its chat model. The server wires it to the model gateway (which counts,
 * caches and retries); tests hand back a model built against WireMock. Called on a worker
 * thread, once per start of an agent loop.
 */
@FunctionalInterface
public interface ModelProvider {

    ChatModel model(String runId, String taskId);
}
