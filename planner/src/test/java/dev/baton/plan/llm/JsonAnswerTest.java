package dev.baton.plan.llm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class JsonAnswerTest {

    @Test
    void aBareObjectIsTakenWhole() {
        assertEquals("{\"tasks\": []}", JsonAnswer.extract("  {\"tasks\": []}\n"));
    }

    @Test
    void aFencedObjectIsTakenFromTheFence() {
        assertEquals("{\"tasks\": []}", JsonAnswer.extract("Sure:\n```json\n{\"tasks\": []}\n```\nDone {really}."));
        assertEquals("{\"a\": 1}", JsonAnswer.extract("```\n{\"a\": 1}\n```"));
    }

    @Test
    void anObjectInProseIsTakenUpToItsClosingBraceSkippingBracesInStrings() {
        assertEquals("{\"a\": \"} not the end {\", \"b\": {\"c\": \"\\\"}\"}}",
                JsonAnswer.extract("The plan is {\"a\": \"} not the end {\", \"b\": {\"c\": \"\\\"}\"}} and that is all."));
    }

    @Test
    void anUnclosedObjectIsReturnedForTheParserToName() {
        assertEquals("{\"tasks\": [", JsonAnswer.extract("Plan: {\"tasks\": ["));
    }

    @Test
    void noObjectIsNull() {
        assertNull(JsonAnswer.extract("I cannot do that."));
        assertNull(JsonAnswer.extract("   "));
        assertNull(JsonAnswer.extract(null));
    }
}
