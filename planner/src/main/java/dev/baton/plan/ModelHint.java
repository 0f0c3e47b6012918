package dev.baton.plan;

/** How to give Baton a model, as every message about a missing one says it: written once, here. */
public final class ModelHint {
    /** The settings that configure a model. */
    public static final String SETTINGS = "OPENAI_BASE_URL, OPENAI_API_KEY and BATON_MODEL";
    /** What to do about a missing model. */
    public static final String SET = "set " + SETTINGS;

    private ModelHint() {
    }
}
