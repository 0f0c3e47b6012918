package dev.baton.plan;

import dev.baton.tools.RetryPolicy;
import dev.baton.tools.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.baton.plan.Fixtures.TICKETS_ROUTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class EffectiveSettingsTest {

    static TaskSpec task(PlanRetry retry, Duration timeout) {
        return new TaskSpec("t", null, new TaskAction.ToolCall("tickets.route", dev.baton.json.Json.object()), null, null, retry, timeout);
    }

    @Test
    void withoutOverrideTheToolsPolicyHolds() {
        assertEquals(TICKETS_ROUTE.retry(), PlanValidator.effectiveRetry(task(null, null), TICKETS_ROUTE));
    }

    @Test
    void overrideReplacesOnlyTheFieldsItSets() {
        RetryPolicy policy = PlanValidator.effectiveRetry(task(new PlanRetry(2, null, null), null), TICKETS_ROUTE);
        assertEquals(new RetryPolicy(2, Duration.ofMillis(500), Duration.ofSeconds(20), 2.0, 0.1), policy);

        policy = PlanValidator.effectiveRetry(task(new PlanRetry(null, Duration.ofSeconds(3), Duration.ofMinutes(1)), null), TICKETS_ROUTE);
        assertEquals(new RetryPolicy(5, Duration.ofSeconds(3), Duration.ofMinutes(1), 2.0, 0.1), policy);
    }

    @Test
    void firstDelayAboveTheToolsCapRaisesTheCap() {
        RetryPolicy policy = PlanValidator.effectiveRetry(task(new PlanRetry(null, Duration.ofMinutes(2), null), null), TICKETS_ROUTE);
        assertEquals(Duration.ofMinutes(2), policy.initialBackoff());
        assertEquals(Duration.ofMinutes(2), policy.maxBackoff());
    }

    @Test
    void capBelowTheToolsFirstDelayLowersTheFirstDelay() {
        RetryPolicy policy = PlanValidator.effectiveRetry(task(new PlanRetry(null, null, Duration.ofMillis(100)), null), TICKETS_ROUTE);
        assertEquals(Duration.ofMillis(100), policy.initialBackoff());
        assertEquals(Duration.ofMillis(100), policy.maxBackoff());
    }

    @Test
    void taskWithoutToolStartsFromTheDefaultPolicy() {
        assertEquals(RetryPolicy.DEFAULT.withMaxAttempts(1), PlanValidator.effectiveRetry(task(new PlanRetry(1, null, null), null), null));
    }

    @Test
    void timeoutIsThePlansElseTheTools() {
        assertEquals(Duration.ofSeconds(10), PlanValidator.effectiveTimeout(task(null, null), TICKETS_ROUTE));
        assertEquals(Duration.ofMinutes(3), PlanValidator.effectiveTimeout(task(null, Duration.ofMinutes(3)), TICKETS_ROUTE));
        assertEquals(Duration.ofMinutes(3), PlanValidator.effectiveTimeout(task(null, Duration.ofMinutes(3)), null));
        assertNull(PlanValidator.effectiveTimeout(task(null, null), null));
        ToolDescriptor plain = ToolDescriptor.builder("plain").build();
        assertEquals(Duration.ofSeconds(30), PlanValidator.effectiveTimeout(task(null, null), plain));
    }
}
