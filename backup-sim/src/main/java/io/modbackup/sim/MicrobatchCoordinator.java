package io.modbackup.sim;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one microbatch topology across the Supervisors, as Rama's microbatch coordinator does: batch
 * {@code n} runs on every Supervisor hosting the module, and only when all of them committed it does
 * batch {@code n+1} start. A batch that failed or timed out on some Supervisor is repeated there (each
 * task commits a batch once) until it succeeds; meanwhile the batch lock stays held, so no cut can see
 * the topology at two commit IDs. Idle, it asks again after {@value #IDLE_MILLIS} ms, doubling the wait
 * up to {@value #MAX_IDLE_MILLIS} ms while nothing arrives; {@link #wake} (an append) ends a longer wait
 * at {@value #IDLE_MILLIS} ms, so appends coming one at a time still go in batches.
 */
final class MicrobatchCoordinator {
    private static final Logger log = LoggerFactory.getLogger(MicrobatchCoordinator.class);
    static final long IDLE_MILLIS = 20;
    static final long MAX_IDLE_MILLIS = 1000;

    private final String module;
    private final String topology;
    private final Supplier<List<String>> hosts;
    private final SupervisorCalls calls;
    private final ReentrantLock batch = new ReentrantLock(true);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String lastFailure;
    private long commitId = -1;
    private final Object wakeUp = new Object();
    private boolean woken;

    /** @param hosts the Supervisors hosting the module's tasks, asked again for every batch */
    MicrobatchCoordinator(String module, String topology, Supplier<List<String>> hosts, SupervisorCalls calls) {
        this.module = module;
        this.topology = topology;
        this.hosts = hosts;
        this.calls = calls;
        this.thread = new Thread(this::loop, "microbatch-" + module + "/" + topology);
        this.thread.setDaemon(true);
    }

    String topology() {
        return topology;
    }

    /** Why the last batch could not run, or null when it ran. */
    String lastFailure() {
        return lastFailure;
    }

    void start() {
        thread.start();
    }

    /** Stops driving batches, waiting at most two deadlines for the batch in flight. */
    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(calls.deadline().toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Holds the batch lock, waiting at most {@code wait}: no batch runs until {@link #unlock}. */
    boolean lock(Duration wait) throws InterruptedException {
        return batch.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    void unlock() {
        batch.unlock();
    }

    /** Ends an idle wait now: new work may have arrived. Cheap; callable from any thread. */
    void wake() {
        synchronized (wakeUp) {
            woken = true;
            wakeUp.notifyAll();
        }
    }

    private void loop() {
        long idle = IDLE_MILLIS;
        while (running) {
            boolean worked;
            try {
                batch.lockInterruptibly();
            } catch (InterruptedException e) {
                return;
            }
            try {
                worked = runBatch();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                lastFailure = e.getMessage();
                log.debug("microbatch {} of {}/{} waits: {}", commitId + 1, module, topology, e.getMessage());
                worked = false;
            } finally {
                batch.unlock();
            }
            if (worked) {
                idle = IDLE_MILLIS;
                continue;
            }
            try {
                long idleSince = System.nanoTime();
                boolean wokenEarly;
                synchronized (wakeUp) {
                    if (!woken) {
                        wakeUp.wait(idle);
                    }
                    wokenEarly = woken;
                    idle = woken ? IDLE_MILLIS : Math.min(MAX_IDLE_MILLIS, idle * 2);
                    woken = false;
                }
                // Never faster than every IDLE_MILLIS, woken or not: entries that arrive meanwhile go in one
                // batch, rather than a batch (a call to every Supervisor) per append.
                long left = IDLE_MILLIS - (System.nanoTime() - idleSince) / 1_000_000;
                if (wokenEarly && left > 0) {
                    Thread.sleep(left);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Runs the next batch if any Supervisor has work for it; returns whether one ran. */
    private boolean runBatch() throws InterruptedException {
        List<String> supervisors = hosts.get();
        if (commitId < 0) {
            commitId = calls.all(supervisors, (s, c) -> c.microbatchCommitId(module, topology)).stream()
                    .mapToLong(Long::longValue).max().orElse(0);
        }
        boolean work = calls.all(supervisors, (s, c) -> c.microbatchHasWork(module, topology)).contains(true);
        lastFailure = null;
        if (!work) {
            return false;
        }
        long next = commitId + 1;
        while (running) {
            try {
                calls.all(supervisors, (s, c) -> c.microbatchStep(module, topology, next));
                commitId = next;
                lastFailure = null;
                return true;
            } catch (RuntimeException e) {
                lastFailure = e.getMessage();
                log.warn("microbatch {} of {}/{} failed on a Supervisor, repeating it: {}", next, module, topology,
                        e.getMessage());
                Thread.sleep(200);
            }
        }
        return false;
    }
}
