package io.modbackup.api.runtime;

/**
 * How a module is deployed, as given at launch ({@code --threads --workers --replicationFactor}).
 */
public record Parallelism(int threads, int workers, int replicationFactor) {
    public Parallelism {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("--workers must be at least 1, got " + workers);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("--replicationFactor must be at least 1, got " + replicationFactor);
        }
    }
}
