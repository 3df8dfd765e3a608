package io.modbackup.cluster;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.Catalogs;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.RuntimeService;
import io.modbackup.sim.DepotEntry;
import io.modbackup.sim.ModuleCode;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.WorkloadEntry;
import io.modbackup.testkit.runtime.ClusterRuntimeContractTest;
import io.modbackup.testkit.runtime.RuntimeHarness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The multi-process cluster passes the runtime contract: the Conductor and three Supervisors in their
 * own JVMs, the suite in the test JVM reaching the Conductor's runtime over JSON-RPC. A crash is every
 * process killed with SIGKILL and started again on its state.
 */
class MultiProcessContractTest extends ClusterRuntimeContractTest {
    /**
     * Each crash here restarts real processes: the README's test command crashes the install at its first
     * step and every third after; {@code -Plong} (as {@code .ci/run} runs it) at every step.
     */
    @Override
    protected java.util.function.IntPredicate installStepsToCrashAt() {
        return step -> step % 3 == 1;
    }

    @Test
    @Tag("long")
    @Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    void installRestoreIsAtomicAcrossACrashAtEveryStepOfRealProcesses() throws Exception {
        checkInstallIsAtomic(step -> true);
    }

    @Override
    protected RuntimeHarness openHarness(Path root) {
        return new Harness(root);
    }

    private static final class Harness implements RuntimeHarness {
        private final ClusterProcesses processes;
        private final ClusterAdmin admin;
        private final RuntimeService service;
        private final ClusterRuntime runtime;
        /** The code the cluster's "sample" catalog runs, to refuse deploying anything else. */
        private final ModuleCode code = new ModuleCode(Catalogs.named("sample"));

        Harness(Path root) {
            String provider = ClusterFixture.LOCAL_PROVIDER + " " + root.resolveSibling("store");
            // The test build's Conductor: the shipped one plus the install crash switch the suite needs.
            processes = ClusterProcesses.start(ClusterSpec.of(root, 3, provider)
                    .withMainClasses(FaultSwitchNodes.Conductor.class, FaultSwitchNodes.Supervisor.class));
            admin = processes.admin();
            service = processes.runtime();
            runtime = new RemoteClusterRuntime(service);
        }

        @Override
        public ClusterRuntime runtime() {
            return runtime;
        }

        @Override
        public int supervisorCount() {
            return processes.supervisorIds().size();
        }

        @Override
        public void deploy(ModuleDefinition module, Parallelism parallelism) {
            if (!code.named(module.name()).map(module::equals).orElse(false)) {
                throw new IllegalArgumentException("the multi-process cluster deploys its catalog's code of " + module.name()
                        + " only");
            }
            admin.deploy(module.name(), parallelism);
        }

        @Override
        public void update(ModuleDefinition newVersion) {
            service.update(newVersion.name(), ModuleCode.idOf(newVersion));
        }

        @Override
        public void setDynamicOption(String module, String option, String value) {
            service.setDynamicOption(module, option, value);
        }

        @Override
        public void append(String module, String depot, WorkloadEntry entry) {
            admin.append(module, depot, List.of(entry));
        }

        @Override
        public void appendAll(String module, String depot, List<WorkloadEntry> entries) {
            admin.append(module, depot, entries);
        }

        @Override
        public List<DepotEntry> readDepot(String module, String depot, int partition, long from, int max) {
            return admin.readDepot(module, depot, partition, from, max);
        }

        @Override
        public long depotEndOffset(String module, String depot, int partition) {
            return admin.depotEndOffsets(module, depot).get(partition);
        }

        @Override
        public Map<String, String> readPState(String module, String pstate, Collection<String> keys) {
            return service.readPState(module, pstate, List.copyOf(keys));
        }

        @Override
        public boolean awaitCaughtUp(String module, Duration timeout) {
            return admin.awaitCaughtUp(module, timeout.toMillis());
        }

        @Override
        public void crashAndRestart() {
            processes.kill(ConductorProcess.NODE);
            processes.supervisorIds().forEach(processes::kill);
            processes.restart(ConductorProcess.NODE, List.of());
            processes.restartSupervisors(processes.supervisorIds());
            processes.awaitSupervisors(Duration.ofSeconds(60));
            // A restarted Conductor knows no live cut or restore: each Supervisor drops what it holds of
            // them when it next reports. Wait for that, so the restart is complete when this returns.
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (processes.supervisorIds().stream().mapToInt(id -> processes.supervisor(id).leftovers().total()).sum() > 0
                    && System.nanoTime() < until) {
                sleep(100);
            }
            // Modules are hosted again once the Supervisors joined, or once an interrupted install finished.
            for (String module : service.moduleNames()) {
                String depot = service.describe(module).depots().get(0).name();
                while (!serving(module, depot) && System.nanoTime() < until) {
                    sleep(100);
                }
            }
        }

        private boolean serving(String module, String depot) {
            try {
                admin.depotEndOffsets(module, depot);
                return true;
            } catch (RuntimeException notYet) {
                return false;
            }
        }

        @Override
        public CrashPoint crashAtInstallStep(int step) {
            processes.service(ConductorProcess.NODE, "faults", FaultSwitchNodes.ConductorFaults.class, Duration.ofSeconds(10))
                    .haltAtInstallStep(step);
            return () -> !processes.isAlive(ConductorProcess.NODE, Duration.ofSeconds(3));
        }

        @Override
        public Map<Integer, List<String>> replicas(String module) {
            return service.replicas(module);
        }

        @Override
        public void close() {
            processes.close();
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
