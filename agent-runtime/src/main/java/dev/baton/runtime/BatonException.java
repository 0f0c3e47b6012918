package dev.baton.runtime;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request the runtime refuses, with a machine-readable {@code code}, a message for people
 * and optional details. The server maps {@link Kind} to an HTTP status; nothing here knows HTTP.
 */
public class BatonException extends RuntimeException {

    /** Why the request was refused. */
    public enum Kind {
        /** The request is malformed (HTTP 400). */
        INVALID,
        /** No such run, task or resource (404). */
        NOT_FOUND,
        /** The caller may not do this (403). */
        FORBIDDEN,
        /** The current state does not allow it (409). */
        CONFLICT,
        /** Well-formed, but the domain rejects it (422). */
        UNPROCESSABLE,
        /** The runtime cannot serve it now (503). */
        UNAVAILABLE
    }

    private final Kind kind;
    private final String code;
    private final transient JsonNode details;

    public BatonException(Kind kind, String code, String message, JsonNode details) {
        super(message);
        this.kind = kind;
        this.code = code;
        this.details = details;
    }

    public BatonException(Kind kind, String code, String message) {
        this(kind, code, message, null);
    }

    public static BatonException notFound(String what, String id) {
        return new BatonException(Kind.NOT_FOUND, "not_found", "no " + what + " with id '" + id + "'");
    }

    public static BatonException conflict(String message) {
        return new BatonException(Kind.CONFLICT, "conflict", message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    /** Structured details (e.g. the list of plan problems), or null. */
    public JsonNode details() {
        return details;
    }
}
