package io.modbackup.testkit.runtime;

import io.modbackup.sim.SampleModules;
import java.nio.file.Path;
import java.util.List;

/** The in-process simulated cluster passes the runtime contract. */
class SimulatedClusterContractTest extends ClusterRuntimeContractTest {
    @Override
    protected RuntimeHarness openHarness(Path root) {
        return new SimulatedClusterHarness(root, List.of(SampleModules.moduleA(), SampleModules.moduleB()));
    }
}
