package io.modbackup.sim;

import io.modbackup.api.runtime.TaskCut;
import io.modbackup.sim.SupervisorChannel.PreparedCut;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Supervisor's side of the two-phase cut: the pauses of prepared cuts, each held by a thread of
 * its own until the Conductor completes or aborts the cut, or its hold runs out (so a Conductor that
 * died cannot keep topologies paused). Thread-safe.
 */
final class SupervisorCuts {
    private static final Logger log = LoggerFactory.getLogger(SupervisorCuts.class);

    private final Supervisor supervisor;
    private final Map<String, PausedCut> pauses = new ConcurrentHashMap<>();
    /** The latest aborted cuts: a prepare that arrives after its abort is refused at once. */
    private final Set<String> aborted = java.util.Collections.newSetFromMap(java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > 1024;
                }
            }));

    SupervisorCuts(Supervisor supervisor) {
        this.supervisor = supervisor;
    }

    /**
     * Phase one: pauses {@code instance}'s topologies between steps, checkpoints their PStates into the
     * cut and holds the pause until {@link #complete}, {@link #abort} or {@code holdMillis} passed.
     */
    PreparedCut prepare(ModuleInstance instance, String cutId, long holdMillis) {
        String module = instance.definition().name();
        if (aborted.contains(key(module, cutId))) {
            // The Conductor gave up on this cut (this Supervisor was late: frozen, or slow to get the call):
            // pausing now would only hold the topologies, and the next cut, until the hold ran out.
            throw new IllegalStateException("cut " + cutId + " of " + module + " was aborted before it reached "
                    + supervisor.id());
        }
        PausedCut pause = new PausedCut(module, cutId, instance);
        if (pauses.putIfAbsent(key(module, cutId), pause) != null) {
            throw new IllegalStateException("cut " + cutId + " of " + module + " is already prepared on " + supervisor.id());
        }
        // Checked again once the pause is registered: an abort that ran between the first check and the put
        // found no pause to release, and this prepare would hold the topologies (and the next cut) for the
        // whole hold. abort() records the ID before it looks for the pause, so one of the two sees the other.
        if (aborted.contains(key(module, cutId))) {
            pauses.remove(key(module, cutId), pause);
            throw new IllegalStateException("cut " + cutId + " of " + module + " was aborted before it reached "
                    + supervisor.id());
        }
        Thread thread = new Thread(() -> pause.run(holdMillis), "cut-" + cutId);
        thread.setDaemon(true);
        thread.start();
        try {
            if (!pause.prepared.await(holdMillis, TimeUnit.MILLISECONDS)) {
                pause.release();
                throw new IllegalStateException("Supervisor " + supervisor.id() + " could not checkpoint " + module + " within "
                        + holdMillis + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pause.release();
            throw new IllegalStateException("interrupted while preparing cut " + cutId, e);
        }
        if (pause.failure != null) {
            throw new IllegalStateException("Supervisor " + supervisor.id() + " could not checkpoint " + module + ": "
                    + pause.failure.getMessage(), pause.failure);
        }
        Map<Integer, Map<String, Map<String, Long>>> processed = new TreeMap<>();
        Map<String, Long> commitIds = new TreeMap<>();
        pause.checkpoints.forEach((task, checkpoint) -> {
            processed.put(task, checkpoint.processed());
            checkpoint.commitIds().forEach((topology, commitId) -> TaskCapture.mergeCommitId(commitIds, topology, commitId));
        });
        return new PreparedCut(supervisor.id(), processed, commitIds, pause.capturedAt);
    }

    /** Phase two: captures the prepared tasks' depots, pins every file of the cut and resumes. */
    List<TaskCut> complete(String module, String cutId) {
        PausedCut pause = pauses.get(key(module, cutId));
        if (pause == null || !pause.holding()) {
            throw new IllegalStateException("cut " + cutId + " of " + module + " is not prepared on Supervisor " + supervisor.id()
                    + " (aborted, or its hold expired)");
        }
        try {
            List<TaskCut> tasks = new ArrayList<>();
            for (TaskState task : pause.instance.tasks().values()) {
                tasks.add(TaskCapture.completeTask(supervisor, module, cutId, task, pause.checkpoints.get(task.task())));
            }
            return tasks;
        } finally {
            pause.completed = true;
            pauses.remove(key(module, cutId), pause);
            pause.release();
        }
    }

    /** Resumes the topologies and deletes the cut's files. Idempotent. */
    void abort(String module, String cutId) {
        aborted.add(key(module, cutId));
        PausedCut pause = pauses.get(key(module, cutId));
        if (pause != null) {
            pause.release();
        }
        release(module, cutId);
    }

    /** Unpins and deletes a cut's files. Idempotent. */
    void release(String module, String cutId) {
        pauses.remove(key(module, cutId));
        supervisor.releaseCut(module, cutId);
    }

    /** Whether the cut is in its prepare phase here: its Conductor waits for it, and it aborts by itself. */
    boolean preparing(String module, String cutId) {
        return pauses.containsKey(key(module, cutId));
    }

    /** Ends every pause, for a Supervisor that closes. */
    void releaseAll() {
        pauses.values().forEach(PausedCut::release);
    }

    private static String key(String module, String cutId) {
        return module + "\n" + cutId;
    }

    /**
     * The first phase of a cut on this Supervisor: a thread that pauses the module's topologies here,
     * checkpoints every task and holds the pause until released or its hold expires.
     */
    private final class PausedCut {
        final String module;
        final String cutId;
        final ModuleInstance instance;
        final CountDownLatch prepared = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final Map<Integer, TaskCapture.TaskCheckpoint> checkpoints = new ConcurrentHashMap<>();
        volatile RuntimeException failure;
        volatile long capturedAt;
        volatile boolean completed;

        PausedCut(String module, String cutId, ModuleInstance instance) {
            this.module = module;
            this.cutId = cutId;
            this.instance = instance;
        }

        void run(long holdMillis) {
            boolean expired = false;
            try {
                expired = instance.whilePaused(() -> {
                    capturedAt = System.currentTimeMillis();
                    try {
                        instance.tasks().values().parallelStream().forEach(task -> checkpoints.put(task.task(),
                                TaskCapture.checkpoint(supervisor, module, cutId, task, instance.definition())));
                    } catch (RuntimeException e) {
                        failure = e;
                        return false;
                    } finally {
                        prepared.countDown();
                    }
                    try {
                        return !released.await(holdMillis, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        return true;
                    }
                });
            } finally {
                prepared.countDown();
                if (!completed) {
                    if (expired) {
                        log.warn("cut {} of {} on Supervisor {}: no decision within {} ms, aborted and resumed", cutId,
                                module, supervisor.id(), holdMillis);
                    }
                    pauses.remove(key(module, cutId), this);
                    supervisor.releaseCut(module, cutId);
                }
            }
        }

        boolean holding() {
            return released.getCount() > 0 && failure == null;
        }

        void release() {
            released.countDown();
        }
    }
}
