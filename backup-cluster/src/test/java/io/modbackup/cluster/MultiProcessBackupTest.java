package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static io.modbackup.sim.SampleModules.MODULE_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ProcessProbe.ProcessStats;
import io.modbackup.sim.Workload;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Conductor and three Supervisors in their own JVMs: each Supervisor uploads its own tasks' chunks
 * (none pass through the Conductor), and a restore with fewer workers moves tasks to other Supervisors
 * through the store.
 */
class MultiProcessBackupTest {
    @TempDir
    Path dir;

    private static long storedChunkBytes(Path store) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(store.resolve("blobs"))) {
            return files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void supervisorsUploadTheirOwnTasksAndARestoreMovesTasksThroughTheStore() throws Exception {
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), 3,
                ClusterFixture.LOCAL_PROVIDER + " " + dir.resolve("store"));
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(1, 3, 1));
            admin.deploy(MODULE_B, new Parallelism(1, 3, 1));
            Workload workload = cluster.workload(7);
            workload.appendBatch(MODULE_A, "*events", 3000);
            workload.appendBatch(MODULE_B, "*clicks", 300);
            cluster.awaitCaughtUp(MODULE_A);
            cluster.awaitCaughtUp(MODULE_B);
            cluster.checkLive(MODULE_A);
            cluster.checkLive(MODULE_B);

            long rpcBefore = cluster.processes.stats("conductor").rpcBytesReceived();
            ClusterAdmin.BackupDone full = admin.backup(MODULE_A);
            Map<Integer, Long> backedUpEnds = admin.depotEndOffsets(MODULE_A, "*events");
            ProcessStats conductor = cluster.processes.stats("conductor");
            long supervisorChunkBytes = 0;
            for (String id : cluster.processes.supervisorIds()) {
                ProcessStats supervisor = cluster.processes.stats(id);
                assertTrue(supervisor.chunkBytesWritten() > 0, id + " uploaded no chunk: " + supervisor);
                supervisorChunkBytes += supervisor.chunkBytesWritten();
            }
            // Every chunk byte in the store came from a Supervisor; the Conductor wrote manifests, the
            // owner record and leases, and the jar (inlined in the manifest: it is small).
            assertEquals(0, conductor.chunkBytesWritten(), "the Conductor uploaded chunks: " + conductor);
            // At least every stored chunk byte: two Supervisors may both upload a chunk that both have.
            long stored = storedChunkBytes(dir.resolve("store"));
            assertTrue(supervisorChunkBytes >= stored && stored > 0, supervisorChunkBytes + " written, " + stored + " stored");
            // What the Conductor received meanwhile (task results, cut descriptors, heartbeats, microbatch
            // answers) is a fraction of the chunk bytes.
            long rpcDuringBackup = conductor.rpcBytesReceived() - rpcBefore;
            assertTrue(rpcDuringBackup < supervisorChunkBytes / 4, "the Conductor received " + rpcDuringBackup
                    + " RPC bytes during a backup of " + supervisorChunkBytes + " chunk bytes");

            workload.appendBatch(MODULE_A, "*events", 500);
            cluster.awaitCaughtUp(MODULE_A);
            ClusterAdmin.BackupDone incremental = admin.backup(MODULE_A);
            assertTrue(incremental.newBytes() < full.newBytes(), "incremental " + incremental + " vs full " + full);

            Map<Integer, String> before = admin.placement(MODULE_A);
            // A parallelism applies only to a module that is not running (a running one's is kept).
            admin.stop(MODULE_A);
            ClusterAdmin.RestoreDone restored = admin.restore(full.backupId(), new Parallelism(1, 2, 1));
            assertEquals(1, restored.epoch());
            Map<Integer, String> after = admin.placement(MODULE_A);
            assertNotEquals(before, after, "a restore with 2 workers moves tasks");
            assertEquals(2, new HashSet<>(after.values()).size());
            assertEquals(backedUpEnds, admin.depotEndOffsets(MODULE_A, "*events"), "depots are back at the backup");
            cluster.checkLive(MODULE_A);
            workload.appendBatch(MODULE_A, "*events", 200);
            cluster.awaitCaughtUp(MODULE_A);
            // B, on other Supervisors, saw A's new restore marker and recalibrated its offsets into A's
            // restored depot (its PStates keep what A lost, so the replay oracle does not apply to it now).
            cluster.awaitCaughtUp(MODULE_B);
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
        }
    }

    @Test
    void anEncryptedStoreIsWrittenByEverySupervisorWithItsOwnKeyAndRestoredAcrossProcesses() throws Exception {
        Path key = java.nio.file.Files.writeString(dir.resolve("master.key"), java.util.Base64.getEncoder().encodeToString(
                "an example master key, 32 bytes".concat("!").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        java.nio.file.Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ClusterSpec spec = ClusterSpec.of(dir.resolve("cluster"), 3,
                ClusterFixture.LOCAL_PROVIDER + " " + dir.resolve("store")).withStoreSettings("zstd:1", "file:" + key);
        try (ClusterFixture cluster = new ClusterFixture(spec, dir.resolve("scratch"))) {
            ClusterAdmin admin = cluster.admin;
            admin.deploy(MODULE_A, new Parallelism(1, 3, 1));
            Workload workload = cluster.workload(9);
            workload.appendBatch(MODULE_A, "*events", 2000);
            cluster.awaitCaughtUp(MODULE_A);
            ClusterAdmin.BackupDone backup = admin.backup(MODULE_A);
            Map<Integer, Long> backedUpEnds = admin.depotEndOffsets(MODULE_A, "*events");
            for (String id : cluster.processes.supervisorIds()) {
                assertTrue(cluster.processes.stats(id).chunkBytesWritten() > 0, id + " uploaded its own tasks' chunks");
            }
            int chunks = 0;
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir.resolve("store").resolve("blobs"))) {
                for (Path file : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                    byte[] bytes = java.nio.file.Files.readAllBytes(file);
                    assertTrue(bytes.length > 10 && bytes[0] == (byte) 0x89 && bytes[1] == 'M' && (bytes[9] & 2) != 0,
                            file + " is stored encrypted");
                    chunks++;
                }
            }
            assertTrue(chunks > 3, "chunks: " + chunks);
            assertTrue(admin.verify(backup.backupId(), true).ok());
            ClusterAdmin.CliResult info = admin.runCli(java.util.List.of("--action", "info", "--backupId", backup.backupId()));
            assertEquals(0, info.exitCode(), "the CLI in the Conductor reads the key from its config: " + info);

            workload.appendBatch(MODULE_A, "*events", 300);
            cluster.awaitCaughtUp(MODULE_A);
            admin.restore(backup.backupId(), null);
            assertEquals(backedUpEnds, admin.depotEndOffsets(MODULE_A, "*events"), "depots are back at the backup");
            cluster.checkLive(MODULE_A);
            cluster.awaitNoLeftovers();
        }
    }
}
