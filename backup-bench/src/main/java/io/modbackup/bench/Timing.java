package io.modbackup.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Wall-clock timing of a piece of work, and running the commands a baseline is made of. */
final class Timing {
    private Timing() {
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    /** Seconds {@code work} took; with {@code sync}, including a sync(1) so writes reach the disk as ours do. */
    static double time(Work work, boolean sync) throws Exception {
        long start = System.nanoTime();
        work.run();
        if (sync) {
            run("sync");
        }
        return seconds(start);
    }

    static void run(String... command) {
        runWithEnv(Map.of(), command);
    }

    static void runWithEnv(Map<String, String> env, String... command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process p = builder.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
