package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The calls a Conductor (and the other Supervisors) make on one Supervisor of a multi-process cluster.
 * Everything that touches a file under the Supervisor's root goes through here: hosting tasks, the
 * microbatch steps, the two phases of a cut, pins, depot reads and appends, staging, the journaled
 * install swap and cleanup. Arguments and results are JSON-serializable, so a host carries the calls
 * over its RPC; {@link SupervisorHost} answers them in the Supervisor's process. Implementations are
 * thread-safe; calls block, and a remote implementation fails a call that exceeds its deadline.
 */
public interface SupervisorChannel {

    /** The Supervisor's ID. */
    String id();

    /**
     * Makes this Supervisor host exactly {@code tasks} of {@code module} (none: it hosts no task of it),
     * opened on their live state and started when {@code running}. Idempotent; a different task set or
     * restore epoch closes and reopens the module's tasks here.
     *
     * @param code the identity of the module code to run ({@link ModuleCode#idOf}), as the module's jar
     *     carries it; another code than the hosted one reopens the tasks with it
     * @param configOverrides the module's config overrides, which the code runs with
     * @param marker the module's restore marker, null when never restored: the tasks' topologies
     *     recalibrate against it from their first step (not against an older marker a heartbeat brought),
     *     and depot reads must name its epoch
     */
    void host(String module, String code, Map<String, String> configOverrides, List<Integer> tasks, boolean running,
              RestoreMarker marker);

    /**
     * Stops hosting {@code module} and deletes the live state of its tasks here, as destroying the module
     * does. Idempotent.
     */
    void destroy(String module);

    /**
     * The values of {@code keys} in PState {@code pstate} of this Supervisor's tasks of a running module;
     * a key none of them holds is absent from the map. One call for many keys: a remote caller reads a
     * PState in one round trip.
     */
    Map<String, String> readPState(String module, String pstate, List<String> keys);

    /**
     * Whether a microbatch of {@code topology} would find work on this Supervisor's tasks of
     * {@code module}; false when it hosts none.
     */
    boolean microbatchHasWork(String module, String topology);

    /**
     * Runs microbatch {@code commitId} on this Supervisor's tasks of {@code module}; idempotent per task.
     *
     * @return entries processed
     */
    long microbatchStep(String module, String topology, long commitId);

    /**
     * Per topology, the processed offsets of this Supervisor's running tasks of {@code module} (offset key
     * to offset; tasks read distinct partitions), as committed now; empty when none runs here.
     */
    Map<String, Map<String, Long>> processedOffsets(String module);

    /** The highest commit ID of {@code topology} among this Supervisor's tasks of {@code module}; 0 for none. */
    long microbatchCommitId(String module, String topology);

    /**
     * Phase one of a cut: pauses this Supervisor's tasks of {@code module} between steps, checkpoints
     * their PStates into the cut and keeps them paused until {@link #completeCut} or {@link #abortCut},
     * or {@code holdMillis} passed (then it aborts by itself, so a Conductor that died cannot keep
     * topologies paused).
     *
     * @throws IllegalStateException when the module is not hosted and running here
     */
    PreparedCut prepareCut(String module, String cutId, long holdMillis);

    /**
     * Phase two: captures the depots of the prepared tasks (after their PStates), pins every file of
     * the cut until {@link #releaseCut} and resumes the topologies.
     *
     * @throws IllegalStateException when the cut is not prepared here (aborted, or its hold expired)
     */
    List<TaskCut> completeCut(String module, String cutId);

    /** Resumes the topologies and deletes the cut's files. Idempotent. */
    void abortCut(String module, String cutId);

    /** Unpins and deletes a completed cut's files. Idempotent. */
    void releaseCut(String module, String cutId);

    /** The pinned files of one task of a completed cut, with paths on this Supervisor. */
    List<CapturedFile> cutFiles(String module, String cutId, int task);

    /**
     * Up to {@code max} entries of a hosted depot partition from {@code from}; empty when the partition
     * is not hosted and running here or was installed under another restore epoch than {@code epoch}.
     */
    List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max, long epoch);

    /** The end offset of a hosted, running depot partition. @throws IllegalStateException when not hosted here */
    long depotEndOffset(String module, String depot, int partition);

    /**
     * Appends payloads to a hosted depot partition, in order.
     *
     * @return the offset of the last one
     * @throws IllegalStateException when the partition is not hosted and running here
     */
    long append(String module, String depot, int partition, List<byte[]> payloads);

    /**
     * An empty staging directory for a task of a restore, as {@link io.modbackup.api.runtime.SupervisorRuntime#stagingDirectory}
     * gives it: a path on this Supervisor's machine.
     */
    java.nio.file.Path stagingDirectory(String module, String restoreId, int task);

    /** The tasks of {@code module} staged here for {@code restoreId}. */
    List<Integer> stagedTasks(String module, String restoreId);

    /** Deletes the staging of a restore. Idempotent. */
    void discardStaging(String module, String restoreId);

    /**
     * Swaps the staged tasks of a decided restore into live state: stops the module's tasks here,
     * journals the swap, replaces each task in {@code order.swap()} with its staged directory, deletes
     * the live state of each task in {@code order.remove()} (tasks the restore placed elsewhere), then
     * forgets the journal. A Supervisor restarted inside the swap finishes it before anything else.
     * Idempotent: a repeated order finds the staged directories already moved.
     *
     * @return each swapped task's depot end offsets, as installed
     */
    Map<Integer, Map<String, Long>> installSwap(InstallOrder order);

    /**
     * Removes what operations that ended left behind: pins of cuts not in {@code liveCuts} and staging
     * of modules not in {@code restoringModules}, considering only what existed before
     * {@code beforeMillis} (this Supervisor's clock), so a pin made after the caller's view is kept. A
     * cut still in its prepare phase is kept for the Conductor that waits for it, unless it began before
     * {@code conductorSinceMillis} (this Supervisor's clock: when it first heard from the current
     * Conductor): then its Conductor is gone, and it is aborted, resuming its topologies at once rather
     * than when its hold runs out.
     *
     * @return how many directories were removed
     */
    int keepOnly(Set<String> liveCuts, Set<String> restoringModules, long beforeMillis, long conductorSinceMillis);

    /** What this Supervisor holds on disk besides live state, for leak checks. */
    Leftovers leftovers();

    /**
     * One Supervisor's part of a prepared cut.
     *
     * @param processed per task, per topology, the processed offsets checkpointed
     * @param commitIds per microbatch topology, the commit ID of every checkpointed task (all equal)
     * @param capturedAtMillis when the PStates were checkpointed
     */
    record PreparedCut(String supervisorId, Map<Integer, Map<String, Map<String, Long>>> processed,
                       Map<String, Long> commitIds, long capturedAtMillis) {
    }

    /** A restore's swap on one Supervisor. */
    record InstallOrder(String module, String restoreId, List<Integer> swap, List<Integer> remove) {
        public InstallOrder {
            swap = List.copyOf(swap);
            remove = List.copyOf(remove);
        }
    }

    /**
     * Directories a Supervisor holds besides live state.
     *
     * @param cuts pinned cuts ({@code cuts/<module>/<cutId>})
     * @param stagings staged restores ({@code staging/<module>/<restoreId>})
     * @param installJournals swaps not finished
     */
    record Leftovers(int cuts, int stagings, int installJournals) {
        public int total() {
            return cuts + stagings + installJournals;
        }
    }
}
