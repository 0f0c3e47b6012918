package dev.baton.triage;

/** One category and the probability a classifier gives it (0..1). */
public record Prediction(String category, double confidence) {
}
