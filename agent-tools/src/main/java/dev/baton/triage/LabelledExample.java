package dev.baton.triage;

/** A text with its true category: a line of the examples file, or a person's confirmation or correction. */
public record LabelledExample(String text, String category) {
}
