package io.modbackup.cluster.node;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.sim.WorkloadEntry;
import java.util.List;
import java.util.Map;

/**
 * What clients call on a running Conductor: the CLI ({@link #runCli}), the demo and the tests. The
 * Conductor does the work; a client never opens the cluster's files.
 */
public interface ClusterAdmin {

    /** The cluster's ID, the Conductor's process, and each Supervisor that joined (its current process hosts its tasks). */
    ClusterInfo info();

    /** Deploys and starts a module of the cluster's catalog. */
    void deploy(String module, Parallelism parallelism);

    /** Appends entries to a module's depot, each to the partition its key hashes to; returns how many. */
    int append(String module, String depot, List<WorkloadEntry> entries);

    /** The module's restore epoch: 0 until its first restore is installed. */
    long restoreEpoch(String module);

    /** Where each task of a module lives. */
    Map<Integer, String> placement(String module);

    /** Each partition's end offset of a module's depot, by task. */
    Map<Integer, Long> depotEndOffsets(String module, String depot);

    /** Up to {@code max} entries of a depot partition from {@code from}, wherever it lives. */
    List<io.modbackup.sim.DepotEntry> readDepot(String module, String depot, int partition, long from, int max);

    /** Waits until a module's topologies processed what their depots held when the wait began. */
    boolean awaitCaughtUp(String module, long timeoutMillis);

    /** Captures a cut (for consistency checks; release it with {@link #releaseCut}). */
    CutDescriptor captureCut(String module);

    /** How the module's latest cut went; null before the first. */
    io.modbackup.sim.CutTiming lastCutTiming(String module);

    /** Releases a cut. Idempotent. */
    void releaseCut(String module, String cutId);

    /** Backs up a module now. */
    BackupDone backup(String module);

    /** Restores a backup; {@code parallelism} null keeps the running module's. */
    RestoreDone restore(String backupId, Parallelism parallelism);

    /** Verifies a backup. */
    VerifyReport verify(String backupId, boolean deep);

    /** Runs the backup CLI with {@code args} in the Conductor, as {@code rama backup} does. */
    CliResult runCli(List<String> args);

    /** The cluster: its ID, the Conductor's endpoint, each Supervisor's endpoint when it reported. */
    record ClusterInfo(String clusterId, Endpoint conductor, Map<String, Endpoint> supervisors, List<String> modules) {
    }

    /** A committed backup. */
    record BackupDone(String backupId, long files, long bytes, long newBytes, long durationMillis) {
    }

    /** A finished restore. */
    record RestoreDone(String backupId, long epoch, long files, long bytes, long durationMillis) {
    }

    /** What the CLI printed and its exit code. */
    record CliResult(int exitCode, String out, String err) {
    }
}
