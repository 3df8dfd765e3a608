package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.sim.WorkloadEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rama's example: topology {@code core} of module B subscribes to {@code *events} of module A and has
 * processed up to offset 205; A is restored to a backup where the depot ended at 107.
 */
class RecalibrationAfterRestoreTest {
    @TempDir
    Path dir;
    EngineFixture f;
    private final List<String> partition0Keys = new ArrayList<>();

    @BeforeEach
    void setUp() {
        f = new EngineFixture(dir);
        for (int i = 0; partition0Keys.size() < 20; i++) {
            if (WorkloadEntry.partitionOf("k" + i, 4) == 0) {
                partition0Keys.add("k" + i);
            }
        }
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private void appendToPartition0(int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            f.cluster.append(A, "*events", new WorkloadEntry(partition0Keys.get(i % partition0Keys.size()), i + 1, "p"));
        }
        assertTrue(f.cluster.awaitCaughtUp(B, 30_000) && f.cluster.awaitCaughtUp(A, 30_000));
    }

    private long coreOffsetOfPartition0() {
        var cut = f.cluster.captureCut(B);
        f.cluster.releaseCut(B, cut.cutId());
        var task0 = cut.tasks().stream().filter(t -> t.task() == 0).findFirst().orElseThrow();
        return task0.processedOffsets().get("core").getOrDefault(A + "/*events/0", 0L);
    }

    /** Polls core's offset of partition 0 until it is {@code expected} or 30 s passed; returns the last one seen. */
    private long awaitCoreOffset(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        long offset = coreOffsetOfPartition0();
        while (offset != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            offset = coreOffsetOfPartition0();
        }
        return offset;
    }

    @Test
    void aSubscriberAt205WhoseDepotIsRestoredToEnd107ContinuesFrom107() throws Exception {
        appendToPartition0(107);
        ModuleManifest at107 = f.engine.backup(A);
        appendToPartition0(98);
        assertEquals(205, coreOffsetOfPartition0());

        f.engine.restore(at107.backupId());
        // Caught up holds at once (205 is past the restored end 107): wait for core's next step to see the marker.
        assertEquals(107, awaitCoreOffset(107), "core resets its processed offset to the restored end");
        appendToPartition0(10);
        assertEquals(117, coreOffsetOfPartition0(), "and then processes what is appended after the restore");
    }

    @Test
    void aRestoredSubscriberContinuesFromItsBackedUpOffsetAndCatchesUpWithTheDepot() throws Exception {
        appendToPartition0(107);
        ModuleManifest bAt107 = f.engine.backup(B);
        appendToPartition0(98);
        assertEquals(205, coreOffsetOfPartition0());

        f.engine.restore(bAt107.backupId());
        assertTrue(f.cluster.awaitCaughtUp(B, 30_000));
        assertEquals(205, coreOffsetOfPartition0(), "B re-processes 107..205 of A's unchanged depot");
        f.checkLive(B, "b-restored");
    }

    @Test
    void aSubscriberRestoredToAnOffsetPastADepotRestoredSinceIsClampedToTheRestoredEnd() throws Exception {
        appendToPartition0(107);
        ModuleManifest aAt107 = f.engine.backup(A);
        appendToPartition0(98);
        ModuleManifest bAt205 = f.engine.backup(B);
        f.engine.restore(aAt107.backupId());
        assertTrue(f.cluster.awaitCaughtUp(B, 30_000));
        appendToPartition0(50);
        assertEquals(157, coreOffsetOfPartition0());

        f.engine.restore(bAt205.backupId());
        // Caught up holds at once (205 is past A's end 157): wait for core's steps to see A's marker.
        assertEquals(157, awaitCoreOffset(157),
                "B's restored offset 205 predates A's restore: it is clamped to 107 and catches up to 157");
    }
}
