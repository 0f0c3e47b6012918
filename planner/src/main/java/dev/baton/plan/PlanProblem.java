package dev.baton.plan;

/**
 * One thing wrong with a plan, pinned to the task and field at fault.
 *
 * @param taskId  the task at fault, or null for the plan as a whole
 * @param field   the field at fault, e.g. {@code dependsOn}, {@code args.url}, or null
 * @param message what is wrong and, where it helps, what was expected
 */
public record PlanProblem(String taskId, String field, String message) {

    /** E.g. {@code task 'route', field 'dependsOn': unknown task 'clasify'}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        if (taskId != null) text.append("task '").append(taskId).append('\'');
        if (field != null) text.append(text.isEmpty() ? "" : ", ").append("field '").append(field).append('\'');
        if (!text.isEmpty()) text.append(": ");
        return text.append(message).toString();
    }
}
