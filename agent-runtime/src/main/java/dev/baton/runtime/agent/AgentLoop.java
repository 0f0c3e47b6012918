package dev.baton.runtime.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventData;
import dev.baton.runtime.event.EventData.AgentModelCalled;
import dev.baton.runtime.event.EventData.AgentToolCalled;
import dev.baton.runtime.event.EventData.AgentToolRequest;
import dev.baton.runtime.event.EventData.Failure;
import dev.baton.tools.BatonTool;
import dev.baton.tools.ToolContext;
import dev.baton.runtime.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import dev.baton.tools.ToolDescriptor;
import dev.baton.tools.ToolException;
import dev.baton.tools.ToolRegistry;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One agent task's tool-calling loop: call the model with the agent's tools, run the tools it
 * asks for, give it their results, until it answers, asks for a gated tool, or hits a limit.
 *
 * <p>It blocks (model and tool calls), so it runs on the orchestrator's task threads, never on
 * an event loop. Every model call and every tool call is handed to {@code record} as an
 * {@link AgentModelCalled} or {@link AgentToolCalled} event <em>before</em> the loop goes on;
 * the orchestrator applies them on its own context. The conversation is nothing but those
 * events: a loop resumed after an approval or a crash rebuilds its messages from them
 * ({@link Request#transcript()}), so there is no second copy of it anywhere.
 *
 * <h2>The gate</h2>
 * Whether a call needs a person is read from the tool's {@link ToolDescriptor#requiresApproval()}
 * only. What the model says and what tools return are data: nothing in a message can switch the
 * gate off. The one call that passes a gate is the one a person approved
 * ({@link Request#approved()}), identified by its call id, with the arguments the person approved.
 *
 * <h2>Per tool call</h2>
 * A tool the agent does not have, or arguments that are not a JSON object or break the tool's
 * schema, are recorded as failed calls and the error is told to the model, which may correct
 * itself. A tool that fails is told to the model likewise. A gated tool stops the loop
 * ({@link AgentResult.NeedsApproval}); the calls after it in the same model answer wait until
 * the loop resumes. A tool gets the idempotency key {@code runId/taskId/step/callId}: a call whose
 * result was not recorded before a crash runs again with the same key (at least once).
 */
public final class AgentLoop {

    /** Longest tool result or dependency output given to the model, in characters. */
    public static final int MAX_CONTENT_CHARS = 16_000;

    private final ChatModel model;
    private final ToolRegistry registry;
    private final Consumer<EventData.TaskEvent> record;
    private final Clock clock;
    private final Tracing tracing;
    private final Duration defaultToolTimeout;

    /**
     * @param transcript the events of this attempt recorded so far (empty for a fresh start)
     * @param approved   the call a person approved, which the loop runs first; null when none
     * @param deadline   when this start of the loop must stop ({@code agent_timeout})
     */
    public record Request(String runId, String taskId, int attempt, AgentSpec agent, String userMessage,
                          List<EventData.TaskEvent> transcript, ApprovedCall approved, Instant deadline) {
    }

    /** A gated call a person approved; {@code args} are the approved arguments (perhaps edited). */
    public record ApprovedCall(String callId, JsonNode args) {
    }

    public AgentLoop(ChatModel model, ToolRegistry registry, Consumer<EventData.TaskEvent> record, Clock clock) {
        this(model, registry, record, clock, ToolDescriptor.DEFAULT_TIMEOUT);
    }

    /** @param defaultToolTimeout the deadline of a call to a tool that declares no timeout (within the loop's own) */
    public AgentLoop(ChatModel model, ToolRegistry registry, Consumer<EventData.TaskEvent> record, Clock clock, Duration defaultToolTimeout) {
        this(model, registry, record, clock, defaultToolTimeout, Tracing.noop());
    }

    /** @param tracing gives each tool call a span ({@code execute_tool}), a child of the one current when the loop runs */
    public AgentLoop(ChatModel model, ToolRegistry registry, Consumer<EventData.TaskEvent> record, Clock clock, Duration defaultToolTimeout,
                     Tracing tracing) {
        this.model = model;
        this.registry = registry;
        this.record = record;
        this.clock = clock;
        this.defaultToolTimeout = defaultToolTimeout;
        this.tracing = tracing == null ? Tracing.noop() : tracing;
    }

    public AgentResult run(Request request) {
        // No trace id here: lines logged inside a span (the attempt's, a call's) get its trace id from the log layout.
        try (var scope = dev.baton.runtime.LogContext.run(request.runId(), request.taskId(), null)) {
            return loop(request);
        }
    }

    private AgentResult loop(Request request) {
        AgentSpec agent = request.agent();
        AgentLimits limits = agent.limits();
        Map<String, BatonTool> tools = new LinkedHashMap<>();
        List<String> names = agent.allTools() ? registry.names() : agent.tools();
        for (String name : names) {
            if (name.equals(AgentSpec.ALL_TOOLS)) continue;
            BatonTool tool = registry.find(name).orElse(null);
            if (tool == null) {
                return new AgentResult.Failed("agent_tool_unknown", "agent '" + agent.name() + "' lists tool '" + name
                        + "', which is not registered", false);
            }
            tools.put(name, tool);
        }
        ToolNames toolNames = new ToolNames(tools.keySet());
        List<ToolSpecification> specifications = new ArrayList<>();
        for (BatonTool tool : tools.values()) {
            ToolDescriptor d = tool.descriptor();
            specifications.add(ToolSpecification.builder()
                    .name(toolNames.modelName(d.name()))
                    .description(d.description().isBlank() ? null : d.description())
                    .parameters(JsonSchemas.toLangChain4j(d.parameters()))
                    .build());
        }

        Loop loop = new Loop(request, tools, toolNames);
        List<ChatMessage> messages = loop.messages;
        messages.add(SystemMessage.from(agent.systemPrompt()));
        messages.add(UserMessage.from(request.userMessage()));

        // Rebuild the conversation so far.
        List<AgentToolRequest> pending = List.of();
        AgentModelCalled last = null;
        for (EventData.TaskEvent entry : request.transcript()) {
            if (entry instanceof AgentModelCalled m) {
                messages.add(aiMessage(m, toolNames));
                loop.steps = Math.max(loop.steps, m.step());
                loop.tokens += m.promptTokens() + m.completionTokens();
                pending = new ArrayList<>(m.toolCalls());
                last = m;
            } else if (entry instanceof AgentToolCalled t) {
                messages.add(ToolExecutionResultMessage.from(t.callId(), toolNames.modelName(t.tool()), resultText(t)));
                String done = t.callId();
                pending.removeIf(call -> call.id().equals(done));
            }
        }
        if (last != null && last.toolCalls().isEmpty()) return answered(last.text(), loop.steps); // answer recorded, outcome lost
        if (!pending.isEmpty()) {
            AgentResult stopped = loop.callTools(last.step(), pending, request.approved());
            if (stopped != null) return stopped;
        }

        while (true) {
            if (Thread.currentThread().isInterrupted()) return new AgentResult.Failed("interrupted", "the agent was interrupted", true);
            if (loop.steps >= limits.maxSteps()) return stepLimit(agent);
            if (!clock.instant().isBefore(request.deadline())) return timeout(agent);
            int step = ++loop.steps;
            ChatRequest.Builder chat = ChatRequest.builder().messages(List.copyOf(messages));
            if (!specifications.isEmpty()) chat.toolSpecifications(specifications);
            long began = System.nanoTime();
            ChatResponse response;
            try {
                response = model.chat(chat.build());
            } catch (RuntimeException e) {
                if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
                    return new AgentResult.Failed("interrupted", "the agent was interrupted", true);
                }
                return new AgentResult.Failed("model_error", "the model call failed: " + describe(e), retryable(e));
            }
            long durationMs = (System.nanoTime() - began) / 1_000_000;
            AiMessage ai = response.aiMessage();
            List<AgentToolRequest> calls = new ArrayList<>();
            if (ai.hasToolExecutionRequests()) {
                for (ToolExecutionRequest call : ai.toolExecutionRequests()) {
                    String name = toolNames.batonName(call.name()).orElse(call.name());
                    calls.add(new AgentToolRequest(call.id(), name, parseArgs(call.arguments())));
                }
            }
            TokenUsage usage = response.tokenUsage();
            int prompt = usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
            int completion = usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
            String finish = response.finishReason() == null ? null : response.finishReason().name().toLowerCase();
            AgentModelCalled called = new AgentModelCalled(request.taskId(), request.attempt(), step, ai.text(), calls,
                    prompt, completion, durationMs, finish);
            record.accept(called);
            messages.add(aiMessage(called, toolNames));
            loop.tokens += prompt + completion;
            if (loop.tokens > limits.maxTokens()) {
                return new AgentResult.Failed("agent_token_limit", "agent '" + agent.name() + "' used " + loop.tokens
                        + " tokens, over its limit of " + limits.maxTokens(), false);
            }
            if (calls.isEmpty()) return answered(ai.text(), step);
            if (step >= limits.maxSteps()) return stepLimit(agent);
            AgentResult stopped = loop.callTools(step, calls, null);
            if (stopped != null) return stopped;
        }
    }

    /** The mutable part of one run of the loop. */
    private final class Loop {
        final Request request;
        final Map<String, BatonTool> tools;
        final ToolNames names;
        final List<ChatMessage> messages = new ArrayList<>();
        int steps;
        long tokens;

        Loop(Request request, Map<String, BatonTool> tools, ToolNames names) {
            this.request = request;
            this.tools = tools;
            this.names = names;
        }

        /** Runs the calls in order; returns non-null to stop the loop. */
        AgentResult callTools(int step, List<AgentToolRequest> calls, ApprovedCall approved) {
            for (AgentToolRequest call : calls) {
                if (Thread.currentThread().isInterrupted()) return new AgentResult.Failed("interrupted", "the agent was interrupted", true);
                BatonTool tool = tools.get(call.name());
                if (tool == null) {
                    refuse(step, call, call.args(), "unknown_tool", "there is no tool named '" + call.name()
                            + "' available to you; the available tools are: " + String.join(", ", tools.keySet().stream().map(names::modelName).toList()));
                    continue;
                }
                boolean approvedCall = approved != null && approved.callId().equals(call.id());
                JsonNode args = approvedCall && approved.args() != null ? approved.args() : call.args();
                if (args == null || !args.isObject()) {
                    refuse(step, call, args, "args_invalid", "the arguments must be a JSON object");
                    continue;
                }
                ToolDescriptor descriptor = tool.descriptor();
                List<SchemaViolation> violations = JsonSchemaValidator.validate(descriptor.parameters(), args);
                if (!violations.isEmpty()) {
                    StringBuilder text = new StringBuilder("the arguments break the schema of '" + names.modelName(call.name()) + "': ");
                    for (int i = 0; i < violations.size(); i++) {
                        if (i > 0) text.append("; ");
                        text.append(violations.get(i).path()).append(": ").append(violations.get(i).message());
                    }
                    refuse(step, call, args, "args_invalid", text.toString());
                    continue;
                }
                // The gate: from the descriptor alone; only the call a person approved passes.
                if (descriptor.requiresApproval() && !approvedCall) {
                    return new AgentResult.NeedsApproval(call.id(), call.name(), args);
                }
                Instant now = clock.instant();
                Instant toolDeadline = now.plus(descriptor.timeoutOr(defaultToolTimeout));
                Instant deadline = toolDeadline.isBefore(request.deadline()) ? toolDeadline : request.deadline();
                String key = request.runId() + "/" + request.taskId() + "/" + step + "/" + call.id();
                ToolContext context = new ToolContext(request.runId(), request.taskId(), request.attempt(), key, deadline);
                long began = System.nanoTime();
                JsonNode output = null;
                Failure error = null;
                Span span = tracing.toolCallStarted(descriptor.name(), call.id());
                try (Scope ignored = span.makeCurrent()) {
                    output = tool.call(args, context.withTraceHeaders(Tracing.headers(io.opentelemetry.context.Context.current())));
                    if (output == null) output = com.fasterxml.jackson.databind.node.NullNode.getInstance();
                } catch (ToolException e) {
                    error = new Failure(e.code(), e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    Tracing.end(span, "interrupted", "the agent was interrupted");
                    return new AgentResult.Failed("interrupted", "the agent was interrupted", true);
                } catch (Exception | StackOverflowError e) {
                    error = new Failure("tool_error", e.getMessage() == null ? e.getClass().getSimpleName()
                            : e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                Tracing.end(span, error == null ? null : error.code(), error == null ? null : error.message());
                long durationMs = (System.nanoTime() - began) / 1_000_000;
                AgentToolCalled called = new AgentToolCalled(request.taskId(), request.attempt(), step, call.id(), call.name(),
                        args, output, error, durationMs);
                record.accept(called);
                messages.add(ToolExecutionResultMessage.from(call.id(), names.modelName(call.name()), resultText(called)));
            }
            return null;
        }

        private void refuse(int step, AgentToolRequest call, JsonNode args, String code, String message) {
            AgentToolCalled refused = new AgentToolCalled(request.taskId(), request.attempt(), step, call.id(), call.name(),
                    args, null, new Failure(code, message), 0);
            record.accept(refused);
            messages.add(ToolExecutionResultMessage.from(call.id(), names.modelName(call.name()), resultText(refused)));
        }
    }

    // ------------------------------------------------------------------ messages

    /**
     * The task as the model first hears of it: the instruction, the run's goal and input, and the
     * outputs of the tasks it depends on (as JSON, each cut to {@link #MAX_CONTENT_CHARS}).
     */
    public static String userMessage(String instruction, String goal, JsonNode input, Map<String, JsonNode> dependencyOutputs) {
        StringBuilder text = new StringBuilder();
        text.append("Your task: ").append(instruction == null ? "" : instruction).append("\n\n");
        text.append("It is part of a run whose goal is: ").append(goal == null ? "" : goal).append('\n');
        if (input != null && !(input.isObject() && input.isEmpty())) {
            text.append("\nThe run's input (JSON):\n").append(truncate(Json.write(input))).append('\n');
        }
        if (dependencyOutputs != null && !dependencyOutputs.isEmpty()) {
            text.append("\nThe outputs of the tasks this one depends on (JSON):\n");
            for (Map.Entry<String, JsonNode> dependency : dependencyOutputs.entrySet()) {
                text.append("- ").append(dependency.getKey()).append(": ")
                        .append(truncate(Json.write(dependency.getValue()))).append('\n');
            }
        }
        return text.toString();
    }

    private static AiMessage aiMessage(AgentModelCalled m, ToolNames names) {
        if (m.toolCalls().isEmpty()) return AiMessage.from(m.text() == null ? "" : m.text());
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (AgentToolRequest call : m.toolCalls()) {
            JsonNode args = call.args();
            String arguments = args == null ? "{}" : args.isTextual() ? args.asText() : Json.write(args);
            requests.add(ToolExecutionRequest.builder().id(call.id()).name(names.modelName(call.name())).arguments(arguments).build());
        }
        return m.text() == null || m.text().isEmpty() ? AiMessage.from(requests) : AiMessage.from(m.text(), requests);
    }

    /** What the model is told a tool call gave. */
    static String resultText(AgentToolCalled call) {
        if (call.error() != null) return "error (" + call.error().code() + "): " + call.error().message();
        return truncate(Json.write(call.output()));
    }

    /** The model's arguments as JSON; text it sent that is not JSON is kept as a string (and refused later). */
    private static JsonNode parseArgs(String arguments) {
        if (arguments == null || arguments.isBlank()) return Json.object();
        try {
            return Json.parse(arguments);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(arguments);
        }
    }

    private static String truncate(String text) {
        if (text.length() <= MAX_CONTENT_CHARS) return text;
        return text.substring(0, MAX_CONTENT_CHARS) + "... [truncated, " + text.length() + " characters in all]";
    }

    private static AgentResult answered(String text, int steps) {
        ObjectNode output = Json.object();
        output.put("answer", text == null ? "" : text);
        output.put("steps", steps);
        return new AgentResult.Answered(output);
    }

    private static AgentResult stepLimit(AgentSpec agent) {
        return new AgentResult.Failed("agent_step_limit", "agent '" + agent.name() + "' did not answer within its limit of "
                + agent.limits().maxSteps() + " steps", false);
    }

    private static AgentResult timeout(AgentSpec agent) {
        return new AgentResult.Failed("agent_timeout", "agent '" + agent.name() + "' did not answer within " + agent.limits().timeout(), false);
    }

    private static boolean retryable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof NonRetriableException) return false;
            if (t instanceof RetriableException) return true;
            if (t instanceof HttpException http) return http.statusCode() == 429 || http.statusCode() >= 500;
            if (t instanceof java.io.IOException || t instanceof java.util.concurrent.TimeoutException) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }
}
