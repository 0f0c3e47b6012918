package dev.baton.runtime.model;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.util.Set;

/** A {@link ChatModel} view of a {@link ModelGateway} for one {@link CallContext}. */
final class GatewayChatModel implements ChatModel {

    private final ModelGateway gateway;
    private final ChatModel underlying;
    private final CallContext context;

    GatewayChatModel(ModelGateway gateway, ChatModel underlying, CallContext context) {
        this.gateway = gateway;
        this.underlying = underlying;
        this.context = context;
    }

    @Override
    public ChatResponse chat(ChatRequest request) {
        return gateway.chat(request, context);
    }

    @Override
    public ChatResponse chat(ChatRequest request, ChatRequestOptions options) {
        return gateway.chat(request, context);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return gateway.chat(request, context);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return underlying.defaultRequestParameters();
    }

    @Override
    public ModelProvider provider() {
        return underlying.provider();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return underlying.supportedCapabilities();
    }

    @Override
    public String toString() {
        return "GatewayChatModel[" + context + "]";
    }
}
