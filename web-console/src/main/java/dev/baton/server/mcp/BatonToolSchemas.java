package dev.baton.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.run.ApprovalStatus;
import dev.baton.runtime.run.RunStatus;
import dev.baton.runtime.run.TaskStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The JSON Schemas of Baton's MCP tools: their inputs, and their outputs exactly as API.md's
 * answers are shaped (the SDK checks every structured result against them, and so do clients).
 * Status enums come from the runtime's own enums, so they cannot drift. Everything is inlined
 * (no {@code $ref}), so that any validator reads them alike.
 */
final class BatonToolSchemas {
    private BatonToolSchemas() {
    }

    private static final String TIME = """
            {"type": "string", "format": "date-time"}""";
    private static final String TIME_OR_NULL = """
            {"type": ["string", "null"], "format": "date-time"}""";
    private static final String FAILURE = """
            {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "message": {"type": ["string", "null"]}},
             "required": ["code", "message"]}""";
    private static final String ANY = "{}";

    static final String TASK = """
            {"type": "object",
             "properties": {
               "id": {"type": "string"}, "title": {"type": ["string", "null"]}, "kind": {"type": "string", "enum": ["tool", "agent", "wait"]},
               "tool": {"type": ["string", "null"]}, "agent": {"type": ["string", "null"]}, "args": {"type": ["object", "null"]},
               "instruction": {"type": ["string", "null"]}, "wait": {"type": "string"},
               "dependsOn": {"type": "array", "items": {"type": "string"}},
               "status": {"type": "string", "enum": %s}, "attempts": {"type": "integer", "minimum": 0},
               "output": %s, "error": %s,
               "approval": {"type": ["object", "null"],
                 "properties": {"required": {"type": "boolean"}, "status": {"type": ["string", "null"], "enum": %s},
                   "decidedBy": {"type": ["string", "null"]}, "comment": {"type": ["string", "null"]},
                   "requestedAt": %s, "expiresAt": %s, "decidedAt": %s, "escalated": {"type": "boolean"}},
                 "required": ["required", "status"]},
               "startedAt": %s, "finishedAt": %s, "retryAt": %s, "skipReason": {"type": "string"},
               "when": {"type": "string"}, "join": {"type": "string", "enum": ["all", "any"]}, "continueOnError": {"type": "boolean"},
               "fallback": {"type": "object"}, "compensation": {"type": "object"},
               "usage": {"type": "object"}, "transcript": {"type": "array"}, "proposedToolCall": {"type": "object"},
               "history": {"type": "array", "items": {"type": "object",
                 "properties": {"attempt": {"type": "integer"}, "startedAt": %s, "finishedAt": %s, "error": %s}}}},
             "required": ["id", "title", "kind", "tool", "agent", "args", "instruction", "dependsOn", "status", "attempts",
                          "output", "error", "approval", "startedAt", "finishedAt", "retryAt", "history"]}"""
            .formatted(names(TaskStatus.values()), ANY, FAILURE, names(ApprovalStatus.values(), true), TIME_OR_NULL, TIME_OR_NULL,
                    TIME_OR_NULL, TIME_OR_NULL, TIME_OR_NULL, TIME_OR_NULL, TIME_OR_NULL, TIME_OR_NULL, FAILURE);

    /** A run as {@code GET /api/runs/{id}} gives it. */
    static final String RUN = """
            {"type": "object",
             "properties": {
               "id": {"type": "string"}, "goal": {"type": "string"}, "status": {"type": "string", "enum": %s},
               "createdAt": %s, "updatedAt": %s, "input": {"type": "object"}, "options": {"type": "object"},
               "plan": {"type": "object", "properties": {"version": {"type": "integer"}, "source": {"type": ["string", "null"]},
                 "tasks": {"type": "array", "items": %s}}, "required": ["version", "source", "tasks"]},
               "result": %s,
               "messages": {"type": "array", "items": {"type": "object",
                 "properties": {"text": {"type": "string"}, "by": {"type": ["string", "null"]}, "at": %s}, "required": ["text", "by", "at"]}},
               "error": %s,
               "usage": {"type": "object", "properties": {"llmCalls": {"type": "integer"}, "promptTokens": {"type": "integer"},
                 "completionTokens": {"type": "integer"}, "toolCalls": {"type": "integer"}},
                 "required": ["llmCalls", "promptTokens", "completionTokens", "toolCalls"]},
               "lastSeq": {"type": "integer", "minimum": 0}},
             "required": ["id", "goal", "status", "createdAt", "updatedAt", "input", "plan", "result", "messages", "error", "usage", "lastSeq"]}"""
            .formatted(names(RunStatus.values()), TIME, TIME, TASK, ANY, TIME_OR_NULL, FAILURE);

    static final String RUN_PAGE = """
            {"type": "object",
             "properties": {
               "runs": {"type": "array", "items": {"type": "object",
                 "properties": {"id": {"type": "string"}, "goal": {"type": "string"}, "status": {"type": "string", "enum": %s},
                   "createdAt": %s, "updatedAt": %s,
                   "usage": {"type": "object", "properties": {"llmCalls": {"type": "integer"}, "promptTokens": {"type": "integer"},
                     "completionTokens": {"type": "integer"}}, "required": ["llmCalls", "promptTokens", "completionTokens"]},
                   "waitingApprovals": {"type": "integer", "minimum": 0, "description": "the run's approvals still waiting for a person"}},
                 "required": ["id", "goal", "status", "createdAt", "updatedAt", "usage", "waitingApprovals"]}},
               "next": {"type": ["string", "null"], "description": "the cursor of the next page, null on the last"}},
             "required": ["runs", "next"]}"""
            .formatted(names(RunStatus.values()), TIME, TIME);

    static final String APPROVALS = """
            {"type": "object",
             "properties": {"approvals": {"type": "array", "items": {"type": "object",
               "properties": {"runId": {"type": "string"}, "goal": {"type": ["string", "null"], "description": "the goal of the task's run"},
                 "taskId": {"type": "string"}, "title": {"type": ["string", "null"]},
                 "tool": {"type": ["string", "null"]}, "args": {"type": ["object", "null"]}, "status": {"type": "string", "enum": %s},
                 "requestedAt": %s, "expiresAt": %s, "escalated": {"type": "boolean"}},
               "required": ["runId", "goal", "taskId", "title", "tool", "args", "status", "requestedAt", "expiresAt", "escalated"]}}},
             "required": ["approvals"]}"""
            .formatted(names(ApprovalStatus.values()), TIME, TIME_OR_NULL);

    private static final String STRING_OR_NULL = "{\"type\": [\"string\", \"null\"]}";

    static final String TICKET = """
            {"type": "object",
             "properties": {
               "id": {"type": "string"}, "status": {"type": "string", "enum": ["TRIAGING", "AWAITING_APPROVAL", "ROUTED", "FAILED"]},
               "subject": %1$s, "body": %1$s, "externalId": %1$s, "channel": %1$s, "customer": {"type": ["object", "null"]},
               "category": %1$s, "priority": {"type": ["string", "null"], "enum": ["P1", "P2", "P3", "P4", null]}, "queue": %1$s,
               "confidence": {"type": ["number", "null"]}, "method": %1$s, "rationale": %1$s,
               "review": {"type": "object", "properties": {"required": {"type": "boolean"}, "reason": %1$s, "confirmedCategory": %1$s},
                 "required": ["required", "reason", "confirmedCategory"]},
               "sla": {"type": "object", "properties": {"dueAt": %2$s, "remaining": %1$s, "breached": {"type": "boolean"}},
                 "required": ["dueAt", "remaining", "breached"]},
               "delivery": %1$s, "error": %3$s, "runId": %1$s, "createdAt": %4$s, "updatedAt": %4$s, "routedAt": %2$s},
             "required": ["id", "status", "subject", "body", "externalId", "channel", "customer", "category", "priority", "queue",
                          "confidence", "method", "rationale", "review", "sla", "delivery", "error", "runId", "createdAt", "updatedAt",
                          "routedAt"]}"""
            .formatted(STRING_OR_NULL, TIME_OR_NULL, FAILURE, TIME);

    // ------------------------------------------------------------------ inputs

    private static final String ID = "{\"type\": \"string\", \"minLength\": 1, \"maxLength\": 255}";

    static final String START_RUN_IN = """
            {"type": "object",
             "properties": {
               "goal": {"type": "string", "minLength": 1, "description": "what the run is for, in words"},
               "input": {"type": "object", "description": "the run's input, referenced in the plan as ${input...}"},
               "plan": {"type": "object", "description": "a plan to run as given ({\\"tasks\\": [...]}, see GET /api/tools); no planner is called"},
               "playbook": {"type": "string", "minLength": 1, "description": "the name of a playbook to follow instead of planning"},
               "idempotencyKey": {"type": "string", "minLength": 1, "maxLength": 255,
                 "description": "a repeat with the same key returns the run the first call created"}},
             "required": ["goal"], "additionalProperties": false}""";

    static final String GET_RUN_IN = """
            {"type": "object", "properties": {"runId": %s}, "required": ["runId"], "additionalProperties": false}""".formatted(ID);

    static final String LIST_RUNS_IN = """
            {"type": "object",
             "properties": {"status": {"type": "string", "enum": %s}, "limit": {"type": "integer", "minimum": 1, "maximum": 500},
               "cursor": {"type": "string", "description": "the 'next' of the page before"}},
             "additionalProperties": false}""".formatted(names(RunStatus.values()));

    static final String LIST_APPROVALS_IN = """
            {"type": "object", "properties": {"status": {"type": "string", "enum": %s, "description": "PENDING unless given"}},
             "additionalProperties": false}""".formatted(names(ApprovalStatus.values()));

    static final String DECIDE_IN = """
            {"type": "object",
             "properties": {"runId": %1$s, "taskId": %1$s, "decision": {"type": "string", "enum": ["approve", "reject"]},
               "comment": {"type": "string", "maxLength": 4000}},
             "required": ["runId", "taskId", "decision"], "additionalProperties": false}""".formatted(ID);

    static final String CREATE_TICKET_IN = """
            {"type": "object",
             "properties": {"subject": {"type": "string"}, "body": {"type": "string"},
               "customer": {"type": "object", "description": "e.g. {\\"email\\": \\"...\\"}"}, "channel": {"type": "string"},
               "externalId": %1$s, "idempotencyKey": %1$s},
             "additionalProperties": false}""".formatted(ID);

    static final String GET_TICKET_IN = """
            {"type": "object", "properties": {"ticketId": %s}, "required": ["ticketId"], "additionalProperties": false}""".formatted(ID);

    /** The form an approval is offered as (elicitation: flat, primitive properties only). */
    static final String DECISION_FORM = """
            {"type": "object",
             "properties": {"decision": {"type": "string", "title": "Decision", "enum": ["approve", "reject"]},
               "comment": {"type": "string", "title": "Comment", "description": "recorded with the decision"}},
             "required": ["decision"]}""";

    static ObjectNode parse(String schema) {
        try {
            JsonNode node = Json.parse(schema);
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String names(Enum<?>[] values) {
        return names(values, false);
    }

    private static String names(Enum<?>[] values, boolean orNull) {
        return Arrays.stream(values).map(v -> "\"" + v.name() + "\"").collect(Collectors.joining(", ", "[", orNull ? ", null]" : "]"));
    }
}
