package dev.baton.server;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Answers requests that Vert.x cannot parse (it calls this before any route): as its default
 * handler does, 414 for a request line over the limit, 431 for headers over it, 400 otherwise,
 * then closes the connection; but with the API's JSON error body instead of an empty one.
 */
final class InvalidRequests {
    private final EdgeMetrics metrics;
    private final int maxLine;
    private final int maxHeaders;

    InvalidRequests(EdgeMetrics metrics, int maxLine, int maxHeaders) {
        this.metrics = metrics;
        this.maxLine = maxLine;
        this.maxHeaders = maxHeaders;
    }

    void handle(HttpServerRequest request) {
        Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        int status;
        String code;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            code = "uri_too_long";
            message = "the request line (method, path and query) is over the limit of " + maxLine + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            code = "headers_too_large";
            message = "the request's headers are over the limit of " + maxHeaders + " bytes";
        } else {
            status = 400;
            code = "bad_request";
            message = "the request is not valid HTTP" + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        }
        metrics.invalid(status);
        request.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .putHeader("Connection", "close")
                .end(new ApiError(status, code, message).json())
                .onComplete(done -> request.connection().close());
    }
}
