package dev.baton.runtime.model;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.HttpClientBuilderLoader;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP client the gateway hands to LangChain4j's OpenAI module. It behaves like LangChain4j's
 * JDK client but keeps the {@code Retry-After} header of error answers, throwing a
 * {@link StatusHttpException} (a LangChain4j {@code HttpException}, so LangChain4j maps it as usual).
 * Streaming and multipart requests go to the HTTP client LangChain4j would load itself.
 */
final class GatewayHttpClient implements HttpClient {

    private final java.net.http.HttpClient jdk;
    private final Duration readTimeout;
    private final HttpClient fallback;

    private GatewayHttpClient(Duration connectTimeout, Duration readTimeout) {
        java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder();
        if (connectTimeout != null) b.connectTimeout(connectTimeout);
        this.jdk = b.build();
        this.readTimeout = readTimeout;
        this.fallback = HttpClientBuilderLoader.loadHttpClientBuilder().connectTimeout(connectTimeout).readTimeout(readTimeout).build();
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        if (!request.formDataFields().isEmpty() || !request.formDataFiles().isEmpty()) return fallback.execute(request);
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder().uri(URI.create(request.url()));
        request.headers().forEach((name, values) -> {
            if (values != null) values.forEach(v -> b.header(name, v));
        });
        String body = request.body();
        b.method(request.method().name(), body == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (readTimeout != null) b.timeout(readTimeout);
        HttpResponse<byte[]> response;
        try {
            response = jdk.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new TimeoutException(e);
        } catch (IOException e) {
            throw new RuntimeException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
        String text = new String(response.body(), StandardCharsets.UTF_8);
        int status = response.statusCode();
        if (status < 200 || status >= 300) {
            throw new StatusHttpException(status, text, response.headers().firstValue("Retry-After").orElse(null));
        }
        return SuccessfulHttpResponse.builder().statusCode(status).headers(response.headers().map()).body(text).build();
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        fallback.execute(request, parser, listener);
    }

    /** The builder LangChain4j configures with the model's timeouts. */
    static final class Builder implements HttpClientBuilder {
        private Duration connectTimeout;
        private Duration readTimeout;

        @Override public Duration connectTimeout() { return connectTimeout; }
        @Override public Builder connectTimeout(Duration value) { this.connectTimeout = value; return this; }
        @Override public Duration readTimeout() { return readTimeout; }
        @Override public Builder readTimeout(Duration value) { this.readTimeout = value; return this; }

        @Override
        public HttpClient build() {
            return new GatewayHttpClient(connectTimeout, readTimeout);
        }
    }
}
