package dev.baton.tools;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How the orchestrator must treat a tool written as a LangChain4j {@code @Tool} method. It sits
 * beside {@code @Tool}; on a class it sets the defaults of all its {@code @Tool} methods, and a
 * method's own {@code @ToolOptions} replaces the class's entirely.
 *
 * <pre>{@code
 * @Tool(name = "orders.cancel", value = "Cancels an order that has not shipped yet")
 * @ToolOptions(requiresApproval = true, timeout = "PT10S", maxAttempts = 5)
 * public Cancellation cancel(String orderId) { ... }
 * }</pre>
 *
 * Without the annotation a method tool is not idempotent, needs no approval, has the orchestrator's
 * default timeout (30 s unless configured) and {@link RetryPolicy#DEFAULT}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface ToolOptions {

    /** Calling twice with the same arguments does no more harm than once. */
    boolean idempotent() default false;

    /** A person must approve every call; a plan cannot switch this off. */
    boolean requiresApproval() default false;

    /** ISO-8601 duration one call may take, e.g. {@code PT30S} or {@code PT2M}; empty: the orchestrator's default. */
    String timeout() default "";

    /** Total attempts including the first, with {@link RetryPolicy#DEFAULT}'s backoff. */
    int maxAttempts() default 3;
}
