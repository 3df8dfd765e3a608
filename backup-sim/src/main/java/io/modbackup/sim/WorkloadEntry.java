package io.modbackup.sim;

import java.nio.charset.StandardCharsets;

/**
 * The content of a depot entry in the simulated modules: a key, an amount, and padding that gives
 * entries a realistic size.
 */
public record WorkloadEntry(String key, long amount, String padding) {

    /** The entry's depot payload. */
    public byte[] encode() {
        return (key + "|" + amount + "|" + padding).getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a payload written by {@link #encode()}. */
    public static WorkloadEntry decode(byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8);
        int first = text.indexOf('|');
        int second = text.indexOf('|', first + 1);
        return new WorkloadEntry(text.substring(0, first), Long.parseLong(text.substring(first + 1, second)),
                text.substring(second + 1));
    }

    /** The depot partition of {@code key} in a module of {@code taskCount} tasks. */
    public static int partitionOf(String key, int taskCount) {
        return Math.floorMod(key.hashCode(), taskCount);
    }
}
