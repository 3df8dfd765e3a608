package io.modbackup.testkit.crash;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The life of one simulated process: alive until a crash point fires, dead ever after. Everything
 * wrapped with the same switch ({@link CrashingProvider}, {@link CrashingRuntime}) refuses to act once
 * it is dead, so nothing the "killed" process still has running can change the store or the cluster.
 * Thread-safe.
 */
public final class CrashSwitch {
    private final AtomicReference<String> crashedAt = new AtomicReference<>();

    /** Kills the process at {@code point} (the first crash wins) and throws {@link SimulatedCrash}. */
    public SimulatedCrash crash(String point) {
        crashedAt.compareAndSet(null, point);
        throw new SimulatedCrash(crashedAt.get());
    }

    /** Throws {@link SimulatedCrash} when the process is dead. */
    public void checkAlive() {
        String point = crashedAt.get();
        if (point != null) {
            throw new SimulatedCrash(point);
        }
    }

    /** Where the process died, or null while it lives. */
    public String crashedAt() {
        return crashedAt.get();
    }
}
