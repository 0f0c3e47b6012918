package dev.baton.runtime.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code docs/state-machines.md} from the {@link Transitions} tables: a Mermaid
 * {@code stateDiagram-v2} per machine for the rows that change a status, and a table of the
 * events each status allows without a change. A test fails when the committed file differs.
 */
public final class TransitionDiagrams {

    private TransitionDiagrams() {
    }

    /** The whole page. */
    public static String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("# State machines\n\n")
                .append("<!-- Generated from dev.baton.runtime.run.Transitions by TransitionDiagrams: do not edit by hand.\n")
                .append("     Regenerate: mvn -o -q -pl agent-runtime -am test -Dtest=TransitionDiagramsTest")
                .append(" -Dsurefire.failIfNoSpecifiedTests=false -Dbaton.regenerateDocs=true -->\n\n")
                .append("`RunState.apply` allows an event only where these tables have a row for it: in the run's status")
                .append(" and, for a task event, in the task's status and in its fallback's or compensation's. Any other")
                .append(" event is refused like an event out of sequence (`IllegalStateException`): live, it is a bug in")
                .append(" the orchestrator; at recovery, the run is set aside and the others are served.\n\n")
                .append("A label in parentheses is the guard that picks the row (a failed attempt with a `retryAt` waits;")
                .append(" without one it failed for good). Besides its own row, a `TaskRetryRequested` makes the tasks")
                .append(" skipped because of the retried one PENDING again, a `CompensationRetryRequested` makes every FAILED")
                .append(" compensation PENDING again, and a new plan version (`PlanProposed`, `PlanAccepted`) keeps the")
                .append(" SUCCEEDED tasks and starts its other tasks PENDING.\n");
        for (TransitionTable<?> table : Transitions.ALL) section(out, table);
        return out.toString();
    }

    private static <S extends Enum<S>> void section(StringBuilder out, TransitionTable<S> table) {
        out.append("\n## ").append(Character.toUpperCase(table.name().charAt(0))).append(table.name().substring(1)).append("\n\n");
        if (table != Transitions.RUN && table != Transitions.TASK) {
            out.append("A call not begun yet counts as PENDING.\n\n");
        }
        out.append("```mermaid\nstateDiagram-v2\n");
        if (table == Transitions.TASK) out.append("    [*] --> PENDING : a plan version names the task\n");
        // One edge per pair of statuses, its events joined, in the order of the rows.
        Map<String, List<String>> edges = new LinkedHashMap<>();
        Map<S, List<String>> keeps = new LinkedHashMap<>();
        for (S status : table.statusType().getEnumConstants()) keeps.put(status, new ArrayList<>());
        for (TransitionTable.Row<S> row : table.rows()) {
            if (row.from() == row.to()) {
                keeps.get(row.from()).add(row.label());
            } else {
                String from = row.from() == null ? "[*]" : row.from().name();
                edges.computeIfAbsent(from + " --> " + row.to().name(), k -> new ArrayList<>()).add(row.label());
            }
        }
        edges.forEach((edge, labels) -> out.append("    ").append(edge).append(" : ").append(String.join(", ", labels)).append('\n'));
        out.append("```\n\n");
        out.append("| status | allowed without a change of status |\n|---|---|\n");
        keeps.forEach((status, labels) -> out.append("| ").append(status.name()).append(" | ")
                .append(labels.isEmpty() ? "none" : "`" + String.join("`, `", labels) + "`").append(" |\n"));
        out.append("\n").append(table.rows().size()).append(" rows.\n");
    }
}
