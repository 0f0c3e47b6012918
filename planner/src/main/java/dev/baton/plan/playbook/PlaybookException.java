package dev.baton.plan.playbook;

import java.util.List;

/**
 * Playbooks that cannot be loaded. The message names every file at fault and what is wrong with
 * it, e.g. {@code playbook /srv/playbooks/notify.json: plan: task 'post', field 'tool': missing}.
 */
public class PlaybookException extends Exception {
    private final List<String> problems;

    public PlaybookException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public PlaybookException(String problem) {
        this(List.of(problem));
    }

    /** Each problem, prefixed with the file it is in. */
    public List<String> problems() {
        return problems;
    }
}
