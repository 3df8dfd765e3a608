package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.cluster.ConsistencyOracle;
import io.modbackup.testkit.cluster.SampleModules;
import io.modbackup.testkit.cluster.SimulatedCluster;
import io.modbackup.testkit.cluster.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A cluster with both sample modules, a local store behind a fault injector, and an engine. */
final class EngineFixture implements AutoCloseable {
    static final String A = SampleModules.MODULE_A;
    static final String B = SampleModules.MODULE_B;
    static final int CHUNK = 64 * 1024;

    final Path dir;
    final SimulatedCluster cluster;
    final FaultInjectingProvider provider;
    final BackupEngine engine;
    final Workload workload;

    EngineFixture(Path dir) {
        this.dir = dir;
        cluster = new SimulatedCluster("test-cluster", dir.resolve("cluster"), 2, 256 * 1024,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
        cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
        cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
        provider = new FaultInjectingProvider(new LocalDirectoryProvider(dir.resolve("store").toString()), 1);
        engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(CHUNK));
        workload = new Workload(cluster, 11, 2000, 100);
    }

    BackupProvider store() {
        return provider.delegate();
    }

    void write(int entries) throws InterruptedException {
        workload.appendBatch(A, "*events", entries);
        workload.appendBatch(B, "*clicks", entries / 4);
        if (!cluster.awaitCaughtUp(A, 60_000) || !cluster.awaitCaughtUp(B, 60_000)) {
            throw new AssertionError("topologies did not catch up");
        }
    }

    /** Checks a module's current state with the oracle through a fresh cut. */
    ConsistencyOracle.Report checkLive(String module, String name) {
        return cluster.checkLive(module, dir.resolve("check-" + name));
    }

    /** Writes {@code bytes} at {@code key} straight into the store, as someone tampering with it would. */
    void put(String key, byte[] bytes) throws Exception {
        store().putObject(key, new java.io.ByteArrayInputStream(bytes), bytes.length).get();
    }

    /** Each task's end offset of module A's depot. */
    Map<Integer, Long> depotEnds() {
        return cluster.depotEndOffsets(A, "*events");
    }

    /** Module A still runs on the state it had, nothing was installed, and its state passes the oracle. */
    void assertUntouched(Map<Integer, Long> endsBefore) {
        assertTrue(cluster.describe(A).orElseThrow().running(), "the module keeps running");
        assertTrue(cluster.restoreMarker(A).isEmpty(), "nothing was installed");
        assertEquals(endsBefore, depotEnds(), "live depots are as they were");
        checkLive(A, "untouched-" + System.nanoTime());
    }

    @Override
    public void close() {
        workload.close();
        engine.close();
        cluster.close();
        provider.close();
    }
}
