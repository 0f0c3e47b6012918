package dev.baton.plan.llm;

import dev.baton.plan.Catalog;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** JSON mode is asked for where the model has it, and dropped where it has not. */
class JsonModeTest {

    static final String PLAN = "{\"tasks\": [{\"id\": \"weather\", \"tool\": \"weather.lookup\", \"args\": {\"city\": \"Lyon\"}}]}";
    static final Catalog CATALOG = Catalog.of(List.of(LlmPlannerTest.WEATHER), List.of(), false);

    /** A model without JSON mode, as LangChain4j models signal it. */
    static final class NoJsonMode implements ChatModel {
        final List<ResponseFormat> asked = new ArrayList<>();

        @Override
        public ChatResponse doChat(ChatRequest request) {
            asked.add(request.responseFormat());
            if (ResponseFormat.JSON.equals(request.responseFormat())) throw new UnsupportedFeatureException("JSON response format is not supported");
            return ChatResponse.builder().aiMessage(AiMessage.from("```json\n" + PLAN + "\n```")).build();
        }
    }

    @Test
    void aModelWithoutJsonModeIsAskedAgainWithoutIt() {
        NoJsonMode model = new NoJsonMode();

        PlanningOutcome outcome = LlmPlanner.defaults().plan(new PlanningRequest("Weather in Lyon", null, CATALOG, List.of()), model);

        PlanningOutcome.Planned planned = assertInstanceOf(PlanningOutcome.Planned.class, outcome);
        assertEquals(1, planned.attempts());
        assertEquals(2, model.asked.size());
        assertEquals(ResponseFormat.JSON, model.asked.get(0));
        assertNull(model.asked.get(1));
    }

    @Test
    void jsonModeCanBeSwitchedOff() {
        NoJsonMode model = new NoJsonMode();

        LlmPlanner.builder().jsonMode(false).build().plan(new PlanningRequest("Weather in Lyon", null, CATALOG, List.of()), model);

        assertEquals(1, model.asked.size());
        assertNull(model.asked.get(0));
    }
}
