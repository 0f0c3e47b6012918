package dev.baton.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A scope sets a run's ids in the MDC and puts back what was there, also when scopes nest. Here in
 * web-console, whose tests log through logback: slf4j-simple, the library modules' test backend, has no MDC.
 */
class LogContextTest {
    @AfterEach
    void clear() {
        MDC.clear();
    }

    @Test
    void aScopeSetsTheIdsAndRestoresWhatWasThere() {
        MDC.put("other", "kept");
        try (var run = LogContext.run("r_1", null, null)) {
            assertEquals("r_1", MDC.get(LogContext.RUN_ID));
            assertNull(MDC.get(LogContext.TASK_ID));
            try (var task = LogContext.run("r_1", "t", "0af7651916cd43dd8448eb211c80319c")) {
                assertEquals("r_1", MDC.get(LogContext.RUN_ID));
                assertEquals("t", MDC.get(LogContext.TASK_ID));
                assertEquals("0af7651916cd43dd8448eb211c80319c", MDC.get(LogContext.TRACE_ID));
            }
            assertEquals("r_1", MDC.get(LogContext.RUN_ID));
            assertNull(MDC.get(LogContext.TASK_ID), "the task's id is gone with its scope");
            assertNull(MDC.get(LogContext.TRACE_ID));
            try (var otherRun = LogContext.run("r_2", null, null)) {
                assertEquals("r_2", MDC.get(LogContext.RUN_ID));
            }
            assertEquals("r_1", MDC.get(LogContext.RUN_ID));
        }
        assertNull(MDC.get(LogContext.RUN_ID));
        assertEquals("kept", MDC.get("other"), "keys of others are left alone");
    }
}
