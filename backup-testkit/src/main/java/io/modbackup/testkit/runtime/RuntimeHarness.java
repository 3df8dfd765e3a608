package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.WorkloadEntry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What {@link ClusterRuntimeContractTest} needs from a runtime besides the SPI itself: the hooks a
 * runtime author implements over their own cluster (a test cluster of one Conductor and at least three
 * Supervisors). Modules are given as {@link ModuleDefinition}s: the suite's model of what a module
 * computes (its depots, and topologies folding entries into PStates with {@link
 * io.modbackup.sim.Reducer}s), which the harness deploys as equivalent module code of its
 * runtime.
 *
 * <p>Called from the test thread, except {@link #append}, which a writer thread calls while the test
 * captures cuts. Every method may block; none may hang: each waits at most its timeout or a bounded time.
 */
public interface RuntimeHarness extends AutoCloseable {

    /** The runtime under test; after {@link #crashAndRestart()}, the restarted one. */
    ClusterRuntime runtime();

    /** How many Supervisors the cluster has; at least three. */
    int supervisorCount();

    /** Deploys and starts {@code module}, its jar carrying the definition's code, with {@code parallelism}. */
    void deploy(ModuleDefinition module, Parallelism parallelism);

    /**
     * Replaces a deployed module's code with {@code newVersion} (same name and task count; other topology
     * code, config overrides and jar), keeping its state, as a module update does.
     */
    void update(ModuleDefinition newVersion);

    /** Sets a dynamic option of a deployed module ({@code null} removes it). */
    void setDynamicOption(String module, String option, String value);

    /** Appends {@code entry} to {@code depot} of {@code module}, in the partition its key maps to. */
    void append(String module, String depot, WorkloadEntry entry);

    /** Appends {@code entries} in order, as {@link #append} does; a remote harness sends them in one call. */
    default void appendAll(String module, String depot, List<WorkloadEntry> entries) {
        for (WorkloadEntry entry : entries) {
            append(module, depot, entry);
        }
    }

    /** Up to {@code max} entries of a depot partition from offset {@code from}, in offset order. */
    List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max);

    /** A depot partition's end offset: the offset the next entry appended to it gets. */
    long depotEndOffset(String module, String depot, int partition);

    /**
     * The values of {@code keys} in PState {@code pstate} of a running module; a key it holds no value for
     * is absent from the map. The suite reads whole PStates at once: a remote harness answers in one call.
     */
    Map<String, String> readPState(String module, String pstate, Collection<String> keys);

    /** Waits until every topology of {@code module} has processed every entry of the depots it subscribes to. */
    boolean awaitCaughtUp(String module, Duration timeout) throws InterruptedException;

    /**
     * Kills the runtime's processes without any cleanup (as {@code kill -9} or a power loss would), then
     * starts them again on the same state. Pins, staging and journals are whatever the dead processes left.
     */
    void crashAndRestart();

    /**
     * Makes the runtime crash at the {@code step}-th durable step (1-based) of the next
     * {@link ClusterRuntime#installRestore} call: that call then fails or never returns, and the runtime
     * stays dead until {@link #crashAndRestart()}. An install with fewer steps completes normally.
     *
     * @return a handle that tells, after the call, whether the crash happened
     */
    CrashPoint crashAtInstallStep(int step);

    /** Whether an armed install crash fired. */
    interface CrashPoint {
        boolean fired();
    }

    /**
     * Per task of a deployed module, the Supervisors holding its replicas, the leader (where
     * {@link ClusterRuntime#placeRestore} put it) first.
     */
    Map<Integer, List<String>> replicas(String module);

    /** Stops the runtime, keeping nothing the next test needs. */
    @Override
    void close();
}
