package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.WorkloadEntry;
import io.modbackup.testkit.crash.SimulatedCrash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process simulated cluster under the runtime contract suite: one JVM, three Supervisors. A
 * crash is the cluster abandoned as it stands (no cleanup runs) and a new one opened on its directory.
 */
class SimulatedClusterHarness implements RuntimeHarness {
    static final long SEGMENT_BYTES = 64 * 1024;

    private final Path root;
    /** Every version of module code deployed, so a restarted cluster can run whichever its jars carry. */
    private final List<ModuleDefinition> code = new java.util.concurrent.CopyOnWriteArrayList<>();
    private SimulatedCluster cluster;

    SimulatedClusterHarness(Path root, List<ModuleDefinition> code) {
        this.root = root;
        this.code.addAll(code);
        this.cluster = open();
    }

    /** Opens the cluster on {@link #root}; a subclass may give a differently built (or broken) one. */
    SimulatedCluster open() {
        return new SimulatedCluster("contract", root, 3, SEGMENT_BYTES, List.copyOf(code));
    }

    SimulatedCluster cluster() {
        return cluster;
    }

    Path root() {
        return root;
    }

    @Override
    public ClusterRuntime runtime() {
        return cluster;
    }

    @Override
    public int supervisorCount() {
        return cluster.supervisors().size();
    }

    @Override
    public void deploy(ModuleDefinition module, Parallelism parallelism) {
        code.add(module);
        cluster.deploy(module, parallelism);
    }

    @Override
    public void update(ModuleDefinition newVersion) {
        code.add(newVersion);
        cluster.update(newVersion);
    }

    @Override
    public void setDynamicOption(String module, String option, String value) {
        cluster.setDynamicOption(module, option, value);
    }

    @Override
    public void append(String module, String depot, WorkloadEntry entry) {
        cluster.append(module, depot, entry);
    }

    @Override
    public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
        return cluster.liveDepots().read(module, depot, partition, from, max);
    }

    @Override
    public long depotEndOffset(String module, String depot, int partition) {
        return cluster.liveDepots().endOffset(module, depot, partition);
    }

    @Override
    public Map<String, String> readPState(String module, String pstate, Collection<String> keys) {
        return cluster.readPState(module, pstate, keys);
    }

    @Override
    public boolean awaitCaughtUp(String module, Duration timeout) throws InterruptedException {
        return cluster.awaitCaughtUp(module, timeout.toMillis());
    }

    @Override
    public void crashAndRestart() {
        cluster.close(); // stops the topology threads; pins, staging and journals stay as they are
        reopen();
    }

    /** Opens a new cluster on the directory of the closed one. */
    void reopen() {
        cluster = open();
    }

    @Override
    public CrashPoint crashAtInstallStep(int step) {
        AtomicInteger steps = new AtomicInteger();
        AtomicBoolean fired = new AtomicBoolean();
        List<String> seen = new ArrayList<>();
        cluster.onInstallStep(name -> {
            seen.add(name);
            if (!fired.get() && steps.incrementAndGet() == step) {
                fired.set(true);
                throw new SimulatedCrash("install step " + step + " (" + name + ")");
            }
        });
        return fired::get;
    }

    @Override
    public Map<Integer, List<String>> replicas(String module) {
        return cluster.replicas(module);
    }

    @Override
    public void close() {
        cluster.close();
    }
}
