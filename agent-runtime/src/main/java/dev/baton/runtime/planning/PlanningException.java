package dev.baton.runtime.planning;

/** No plan could be made for a goal; {@code code} and the message end the run as its error. */
public class PlanningException extends Exception {
    private final String code;

    public PlanningException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
