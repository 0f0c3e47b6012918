package dev.baton.runtime.planning;

import dev.baton.plan.PlanWriter;
import dev.baton.plan.playbook.Match;
import dev.baton.plan.playbook.Playbook;
import dev.baton.plan.playbook.PlaybookLibrary;
import dev.baton.plan.playbook.PlaybookMatcher;
import dev.baton.tools.schema.JsonSchemaValidator;
import dev.baton.tools.schema.SchemaViolation;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Plans without a model: the run follows the playbook named in {@code options.playbook}, or
 * the one whose description and example goals are closest to the goal in meaning (in-process
 * MiniLM embeddings), if it is close enough. The run's input is checked against the
 * playbook's input schema first.
 */
public final class PlaybookGoalPlanner implements GoalPlanner {
    /** The prefix of the plan source recorded for playbook plans: {@code playbook:<name>}. */
    public static final String SOURCE_PREFIX = "playbook:";

    private final PlaybookLibrary library;
    private final Supplier<PlaybookMatcher> matcher;

    /**
     * @param matcher supplies the matcher; building one loads the embedding model (seconds),
     *                so pass a memoizing supplier and warm it up off the request path
     */
    public PlaybookGoalPlanner(PlaybookLibrary library, Supplier<PlaybookMatcher> matcher) {
        this.library = library;
        this.matcher = matcher;
    }

    @Override
    public ProposedPlan plan(GoalPlanner.PlanningRequest request) throws PlanningException {
        String named = request.options() == null ? "" : request.options().path("playbook").asText("");
        Playbook playbook;
        if (!named.isEmpty()) {
            playbook = library.find(named).orElseThrow(() -> new PlanningException("unknown_playbook",
                    "no playbook named '" + named + "'; the playbooks are " + names()));
        } else {
            Optional<Match> match = matcher.get().match(request.goal());
            if (match.isEmpty()) throw noMatch(request.goal());
            playbook = match.get().playbook();
        }
        if (playbook.input() != null) {
            List<SchemaViolation> violations = JsonSchemaValidator.validate(playbook.input(), request.input());
            if (!violations.isEmpty()) {
                throw new PlanningException("input_invalid", "the input does not fit playbook '" + playbook.name() + "': "
                        + violations.stream().map(v -> v.path().replaceFirst("^args", "input") + ": " + v.message())
                        .collect(Collectors.joining("; ")));
            }
        }
        return new ProposedPlan(PlanWriter.toJson(playbook.plan()), SOURCE_PREFIX + playbook.name());
    }

    private PlanningException noMatch(String goal) {
        String closest = matcher.get().ranked(goal, 3).stream()
                .map(m -> String.format("%s (%.2f)", m.playbook().name(), m.score()))
                .collect(Collectors.joining(", "));
        return new PlanningException("model_not_configured", "no model is configured and no playbook is close enough to this goal"
                + (closest.isEmpty() ? "" : " (closest: " + closest + "; a match needs " + matcher.get().threshold() + ")")
                + ". Post a plan, name a playbook with options.playbook, or configure a model:"
                + " " + dev.baton.plan.ModelHint.SETTINGS);
    }

    private String names() {
        return library.all().stream().map(Playbook::name).collect(Collectors.joining(", "));
    }
}
