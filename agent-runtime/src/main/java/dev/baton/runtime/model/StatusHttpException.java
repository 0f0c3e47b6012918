package dev.baton.runtime.model;

import dev.langchain4j.exception.HttpException;

/**
 * An HTTP error answer with its {@code Retry-After} header, which LangChain4j's own
 * {@link HttpException} drops (it keeps only the status and the body).
 */
final class StatusHttpException extends HttpException {

    private final String retryAfter;

    StatusHttpException(int statusCode, String body, String retryAfter) {
        super(statusCode, body);
        this.retryAfter = retryAfter;
    }

    /** The raw {@code Retry-After} header value, or null. */
    String retryAfter() {
        return retryAfter;
    }
}
