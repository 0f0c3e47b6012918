package dev.baton.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.json.Json;
import dev.baton.runtime.journal.ApprovalRecord;
import dev.baton.runtime.journal.RunPage;
import dev.baton.runtime.journal.RunRecord;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The API's answers as JSON, for every front door that gives them: the HTTP routes
 * ({@link ApiRoutes}) and the MCP tools ({@code dev.baton.server.mcp}) answer with the same
 * shapes, masked for viewers the same way, and fail with the same codes.
 */
public final class ApiJson {
    private ApiJson() {
    }

    /** {@code GET /api/runs}: {@code {"runs": [RunSummary], "next": cursor|null}}. */
    public static ObjectNode runPage(RunPage page) {
        ObjectNode body = Json.object();
        ArrayNode runs = body.putArray("runs");
        for (RunRecord r : page.runs()) {
            ObjectNode run = runs.addObject();
            run.put("id", r.id());
            run.put("goal", r.goal());
            run.put("status", r.status());
            run.put("createdAt", r.createdAt().toString());
            run.put("updatedAt", r.updatedAt().toString());
            // How many of the run's tasks wait for a person's decision: a RUNNING run that waits on people, not on work.
            run.put("waitingApprovals", page.waitingApprovals(r.id()));
            // The run's model usage as the journal's projection holds it (tool calls are not counted there).
            ObjectNode usage = run.putObject("usage");
            usage.put("llmCalls", r.llmCalls());
            usage.put("promptTokens", r.promptTokens());
            usage.put("completionTokens", r.completionTokens());
        }
        body.put("next", page.next());
        return body;
    }

    /** {@code GET /api/approvals} and MCP's {@code list_approvals}: the inbox items, each with its run's goal from {@code goals} (by run id). */
    public static ArrayNode approvals(List<ApprovalRecord> list, Map<String, String> goals) {
        ArrayNode body = Json.array();
        for (ApprovalRecord a : list) {
            ObjectNode item = body.addObject();
            item.put("runId", a.runId());
            item.put("goal", goals.get(a.runId()));
            item.put("taskId", a.taskId());
            item.put("title", a.title());
            item.put("tool", a.tool());
            item.set("args", a.args());
            item.put("status", a.status());
            item.put("requestedAt", a.requestedAt().toString());
            item.put("expiresAt", a.expiresAt() == null ? null : a.expiresAt().toString());
            item.put("escalated", a.escalated());
        }
        return body;
    }

    /** The answer as {@code caller} may see it: a viewer's with credentials masked (see {@link Redaction}). */
    public static JsonNode forCaller(Caller caller, JsonNode body) {
        return Redaction.forCaller(caller, body);
    }

    /** An API error as the HTTP API would answer it: its status, {@code code}, message and details. */
    public record Failure(int status, String code, String message, JsonNode details) {
    }

    /** How the API answers {@code failure} (a {@code BatonException}, a journal outage, anything else: 500). */
    public static Failure failure(Throwable failure) {
        ApiError error = ApiError.from(failure, 0);
        return new Failure(error.status, error.code, error.getMessage(), error.details);
    }

    /** The request digest that tells a true repeat of an idempotent request from a reused key. */
    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
