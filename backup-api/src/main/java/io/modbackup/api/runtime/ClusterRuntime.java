package io.modbackup.api.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the Conductor of a cluster implements so the backup coordinator can reach module state
 * without knowing RocksDB or segment formats: it sees modules, consistent cuts of files with a kind,
 * and logical positions. Implementations are thread-safe; the methods block and are called from the
 * engine's own executor, never from task threads.
 */
public interface ClusterRuntime {

    /** Identifies this cluster; a backup store records which cluster owns it. */
    String clusterId();

    /** Names of all modules the cluster knows, running or not. */
    List<String> moduleNames();

    /** The module as it is now, or empty when the cluster has no such module. */
    Optional<ModuleDescriptor> describe(String module);

    /**
     * The module's jar file, readable until the module is updated or restored.
     *
     * @throws IllegalArgumentException when the module is unknown
     */
    Path moduleJar(String module);

    /**
     * Takes a consistent cut of a running module and pins its files until
     * {@link #releaseCut(String, String)}: first every PState with its topology progress, microbatch
     * topologies paused at a commit boundary so every partition is at the same commit ID and stream
     * topologies between events; then, after that, every depot partition, so each depot end offset is
     * at or past every offset any topology had processed. Processing resumes as soon as the PStates
     * are pinned.
     *
     * <p>A pin holds its files byte-identical and readable whatever the runtime does meanwhile (appends,
     * compaction, retention, an install that replaces the task's state) and should cost what does not grow
     * with the number of files: a backup takes a cut every period, and most find nothing changed. Pin a depot
     * partition by the segments' offsets and lengths and keep what they name until release, rather than
     * linking or copying each segment (see docs/runtime-authors.md).
     *
     * @throws IllegalArgumentException when the module is unknown
     * @throws IllegalStateException when the module is not running
     */
    CutDescriptor captureCut(String module);

    /** Unpins a cut's files. Idempotent; should not wait for the deletion of what nothing pins any more. */
    void releaseCut(String module, String cutId);

    /**
     * The Supervisor with the given ID, through which its tasks' files are reached. A real host
     * returns a client for its own RPC.
     *
     * @throws IllegalArgumentException when there is no such Supervisor
     */
    SupervisorRuntime supervisor(String supervisorId);

    /**
     * Where each task of {@code descriptor}'s module will live after a restore: the current
     * Supervisors of a deployed module, or a new placement for {@code parallelism}.
     */
    Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism);

    /**
     * Installs restored state staged on the Supervisors: stops the module's tasks if running, swaps
     * each task's staged directory in for its live one, installs the staged jar, config overrides
     * and dynamic options of {@code request.descriptor()}, records a new {@link RestoreMarker}, and
     * starts the module. Live state is touched only here, after everything was staged and verified.
     *
     * <p>Must be atomic across crashes of the host: a runtime restarted after a crash inside this
     * call finds the module's old state or the fully restored one, never a mix (for example by
     * journaling the install before the first swap and finishing it on restart), and discards
     * staging left by restores that never reached this call.
     */
    RestoreMarker installRestore(RestoreRequest request);

    /** The module's latest restore marker, or empty when it was never restored. */
    Optional<RestoreMarker> restoreMarker(String module);

    /**
     * A restore to install.
     *
     * @param restoreId identifies the staging directories on the Supervisors
     * @param backupId the backup being restored
     * @param descriptor the module as the backup recorded it
     * @param parallelism how to start it; {@code null} keeps the running module's
     * @param placement task to Supervisor, as returned by {@link #placeRestore}
     * @param stagedJar the restored jar file
     */
    record RestoreRequest(String restoreId, String backupId, ModuleDescriptor descriptor, Parallelism parallelism,
                          Map<Integer, String> placement, Path stagedJar) {
        public RestoreRequest {
            placement = Map.copyOf(placement);
        }
    }
}
