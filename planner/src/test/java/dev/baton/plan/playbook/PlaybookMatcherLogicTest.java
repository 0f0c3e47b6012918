package dev.baton.plan.playbook;

import dev.baton.json.Json;
import dev.baton.plan.Plan;
import dev.baton.plan.TaskAction;
import dev.baton.plan.TaskSpec;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matcher's arithmetic and batching, with a fake model whose vectors are known. */
class PlaybookMatcherLogicTest {

    /** Maps known texts to fixed 2-d vectors and counts calls. */
    static final class FakeModel implements EmbeddingModel {
        final Map<String, float[]> vectors;
        final List<Integer> batches = new ArrayList<>();

        FakeModel(Map<String, float[]> vectors) {
            this.vectors = vectors;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            batches.add(segments.size());
            return Response.from(segments.stream().map(s -> Embedding.from(vectors.get(s.text()))).toList());
        }
    }

    static Playbook playbook(String name, String description, String... goals) {
        Plan plan = new Plan(List.of(new TaskSpec("t", null, new TaskAction.ToolCall("echo", Json.object()), null, null, null, null)));
        return new Playbook(name, description, List.of(goals), null, plan, Playbook.BUILTIN);
    }

    final FakeModel model = new FakeModel(Map.of(
            "east", new float[]{1, 0},
            "north", new float[]{0, 1},
            "north-east", new float[]{1, 1},
            "goal east", new float[]{1, 0.1f},
            "goal diagonal", new float[]{0.8f, 1},
            "goal west", new float[]{-1, 0}));
    final PlaybookLibrary library = PlaybookLibrary.of(List.of(playbook("a", "east"), playbook("b", "north", "north-east")));

    @Test
    void embedsEveryTextOfEveryPlaybookInOneBatch() {
        new PlaybookMatcher(model, library);
        assertEquals(List.of(3), model.batches);
    }

    @Test
    void aPlaybookScoresItsClosestText() {
        PlaybookMatcher matcher = new PlaybookMatcher(model, library, 0.9);
        Match match = matcher.match("goal diagonal").orElseThrow();
        assertEquals("b", match.playbook().name());
        assertEquals(cosine(new float[]{0.8f, 1}, new float[]{1, 1}), match.score(), 1e-6);
        assertEquals("a", matcher.match("goal east").orElseThrow().playbook().name());
    }

    @Test
    void belowTheThresholdThereIsNoMatchButStillARanking() {
        PlaybookMatcher matcher = new PlaybookMatcher(model, library, 0.5);
        assertTrue(matcher.match("goal west").isEmpty());
        List<Match> ranked = matcher.ranked("goal west", 5);
        assertEquals(List.of("b", "a"), ranked.stream().map(m -> m.playbook().name()).toList());
        assertEquals(-1.0, ranked.get(1).score(), 1e-6);
        assertEquals(1, matcher.ranked("goal west", 1).size());
    }

    @Test
    void blankGoalsAndEmptyLibrariesMatchNothing() {
        assertTrue(new PlaybookMatcher(model, library).match("  ").isEmpty());
        FakeModel unused = new FakeModel(Map.of());
        PlaybookMatcher empty = new PlaybookMatcher(unused, PlaybookLibrary.of(List.of()));
        assertTrue(empty.match("anything").isEmpty());
        assertEquals(List.of(), unused.batches);
    }

    @Test
    void theThresholdIsACosine() {
        assertThrows(IllegalArgumentException.class, () -> new PlaybookMatcher(model, library, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new PlaybookMatcher(model, library, Double.NaN));
        assertEquals(PlaybookMatcher.DEFAULT_THRESHOLD, new PlaybookMatcher(model, library).threshold());
    }

    static double cosine(float[] a, float[] b) {
        double dot = a[0] * b[0] + a[1] * b[1];
        return dot / Math.sqrt(a[0] * a[0] + a[1] * a[1]) / Math.sqrt(b[0] * b[0] + b[1] * b[1]);
    }
}
