package io.modbackup.sim;

import io.modbackup.api.runtime.DepotRef;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A deterministic depot workload: the sequence of entries depends only on the seed (which key, which
 * amount, how much padding), so two runs append the same data. It appends in the foreground
 * ({@link #appendBatch}) or from a background thread ({@link #start}) while topologies run. Appends
 * to a module that is stopped or being restored are skipped and counted, as a client would retry.
 */
public final class Workload implements AutoCloseable {
    private final DepotClient client;
    private final Random random;
    private final int keyCount;
    private final int paddingBytes;
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile Thread thread;
    private volatile boolean running;

    /**
     * @param keyCount distinct keys the entries spread over
     * @param paddingBytes padding per entry, which sets the data volume
     */
    public Workload(SimulatedCluster cluster, long seed, int keyCount, int paddingBytes) {
        this((module, depot, entries) -> {
            int appended = 0;
            for (WorkloadEntry entry : entries) {
                try {
                    cluster.append(module, depot, entry);
                    appended++;
                } catch (IllegalStateException notRunning) {
                    // skipped, as a client would retry later
                }
            }
            return appended;
        }, seed, keyCount, paddingBytes);
    }

    /** Appends the way a depot client does, to any cluster: one call per batch. */
    @FunctionalInterface
    public interface DepotClient {
        /**
         * Appends {@code entries} to {@code depot} of {@code module}, each to the partition its key hashes to.
         *
         * @return how many were appended; the others were skipped because the module was not running
         * @throws IllegalStateException when the module is not running (the whole batch counts as skipped)
         */
        int append(String module, String depot, List<WorkloadEntry> entries);
    }

    /** A workload appending through {@code client}. */
    public Workload(DepotClient client, long seed, int keyCount, int paddingBytes) {
        this.client = client;
        this.random = new Random(seed);
        this.keyCount = keyCount;
        this.paddingBytes = paddingBytes;
    }

    /** The next entry of the sequence. */
    public synchronized WorkloadEntry next() {
        String key = "key-" + random.nextInt(keyCount);
        long amount = 1 + random.nextInt(1000);
        char fill = (char) ('a' + random.nextInt(26));
        return new WorkloadEntry(key, amount, String.valueOf(fill).repeat(paddingBytes));
    }

    /** Appends {@code count} entries to {@code depot} of {@code module} now. */
    public void appendBatch(String module, String depot, int count) {
        List<WorkloadEntry> entries = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(next());
        }
        try {
            int done = client.append(module, depot, entries);
            appended.addAndGet(done);
            skipped.addAndGet(count - done);
        } catch (IllegalStateException notRunning) {
            skipped.addAndGet(count);
        }
    }

    /** Starts appending {@code perTick} entries to each target every {@code tick}, until {@link #close()}. */
    public synchronized void start(List<DepotRef> targets, int perTick, Duration tick) {
        if (thread != null) {
            throw new IllegalStateException("workload already running");
        }
        running = true;
        thread = new Thread(() -> {
            while (running) {
                for (DepotRef target : targets) {
                    appendBatch(target.module(), target.depot(), perTick);
                }
                try {
                    Thread.sleep(tick.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "workload");
        thread.setDaemon(true);
        thread.start();
    }

    /** Entries appended so far. */
    public long appended() {
        return appended.get();
    }

    /** Appends skipped because the module was not running. */
    public long skipped() {
        return skipped.get();
    }

    /** Stops the background thread, waiting for its current batch. */
    @Override
    public void close() {
        running = false;
        Thread current = thread;
        if (current != null) {
            try {
                current.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        thread = null;
    }
}
