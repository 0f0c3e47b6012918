package dev.baton.runtime.orchestrator;

import java.security.SecureRandom;

/** Opaque ids that sort roughly by creation time and cannot be guessed. */
final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private Ids() {
    }

    static String run(long epochMillis) {
        StringBuilder id = new StringBuilder("r_").append(Long.toString(epochMillis, 36));
        for (int i = 0; i < 10; i++) id.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
        return id.toString();
    }
}
