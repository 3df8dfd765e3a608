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

    /** Stops a running module everywhere, keeping its state (a restore may then give it a new parallelism). */
    void stop(String module);

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

    /**
     * The operations the Conductor ran and runs, newest first, at most {@code limit}: of {@code module}
     * (and those on the whole store), or of every module when it is null.
     */
    List<io.modbackup.cli.operation.OperationRecord> operations(String module, int limit);

    /** Runs the backup CLI with {@code args} in the Conductor, as {@code rama backup} does, and waits for its end. */
    CliResult runCli(List<String> args);

    /**
     * Starts the backup CLI with {@code args} in the Conductor and returns its session, to follow with
     * {@link #pollCli}. The command runs to its end whether or not anyone follows it.
     */
    String startCli(List<String> args);

    /**
     * What session {@code session} printed from the given offsets on, its operation and whether it
     * ended; waits up to {@code waitMillis} (at most 2 s) for it to end first.
     *
     * @throws IllegalArgumentException when the Conductor has no such session (it ended long ago, or the
     *     Conductor restarted)
     */
    CliPoll pollCli(String session, int outFrom, int errFrom, long waitMillis);

    /**
     * The cluster: its ID, the Conductor's endpoint, each Supervisor's endpoint when it reported, and
     * why each Supervisor that went silent is down (a Supervisor that reports again is removed from it).
     */
    record ClusterInfo(String clusterId, Endpoint conductor, Map<String, Endpoint> supervisors, List<String> modules,
                       Map<String, String> down) {
    }

    /** A committed backup, with its size, new content and bytes sent as its manifest's totals name them. */
    record BackupDone(String backupId, long files, long bytes, long newBytes, long bytesSent, long durationMillis) {
    }

    /** A finished restore. */
    record RestoreDone(String backupId, long epoch, long files, long bytes, long durationMillis) {
    }

    /** What the CLI printed and its exit code. */
    record CliResult(int exitCode, String out, String err) {
    }

    /**
     * A CLI session as one poll saw it: what it printed since the offsets given, the operation it runs
     * (null before it began one, or for a command that is none), and its exit code once {@code done}
     * (-1 before).
     */
    record CliPoll(String out, String err, io.modbackup.cli.operation.OperationRecord operation, boolean done,
                   int exitCode) {
    }
}
