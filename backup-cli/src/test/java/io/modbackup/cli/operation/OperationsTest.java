package io.modbackup.cli.operation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.engine.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperationsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T06:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void aSecondMutatingOperationOnAModuleIsRefusedNamingTheRunningOneWhileReadsAndOtherModulesGoOn() {
        Operations operations = Operations.inMemory(CLOCK);
        Operations.Running restore = operations.begin("restore", "A", "A-0001", "cli", true, false, null);
        OperationRefusedException refused = assertThrows(OperationRefusedException.class,
                () -> operations.begin("restore", "A", "A-0002", "cli", true, false, null));
        assertEquals("module A has operation op-1 (restore of A-0001, started 2026-12-03T06:00:00Z) running",
                refused.getMessage());
        assertEquals("op-1", refused.running().id());
        assertThrows(OperationRefusedException.class, () -> operations.begin("backup", "A", "", "scheduler", true, false, null));
        OperationRefusedException gc = assertThrows(OperationRefusedException.class,
                () -> operations.begin("gc", Operations.ALL_MODULES, "", "cli", true, false, null));
        assertEquals("the store has operation op-1 (restore of A-0001, started 2026-12-03T06:00:00Z) running", gc.getMessage());

        try (Operations.Running verify = operations.begin("verify", "A", "A-0001", "cli", false, false, null);
             Operations.Running other = operations.begin("backup", "B", "", "cli", true, false, null)) {
            verify.succeeded("verified");
            other.succeeded("committed");
        }
        restore.succeeded("restored");
        try (Operations.Running next = operations.begin("backup", "A", "", "cli", true, false, null)) {
            assertEquals("op-4", next.id(), "refusals take no number");
            next.failed("the cut failed");
        }
        List<OperationRecord> recent = operations.recent("A", 10);
        assertEquals(List.of("op-4", "op-2", "op-1"), recent.stream().map(OperationRecord::id).toList());
        assertEquals(OperationRecord.State.FAILED, recent.get(0).state());
        assertEquals("the cut failed", recent.get(0).outcome());
        assertEquals(List.of(), operations.running());
    }

    @Test
    void withWaitASecondOperationStartsWhenTheFirstEnds() throws Exception {
        Operations operations = Operations.inMemory(CLOCK);
        Operations.Running first = operations.begin("backup", "A", "", "cli", true, false, null);
        CountDownLatch asked = new CountDownLatch(1);
        CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> {
            asked.countDown();
            try (Operations.Running op = operations.begin("restore", "A", "A-0001", "cli", true, true, null)) {
                op.succeeded("restored");
                return op.id();
            }
        });
        asked.await();
        assertFalse(second.isDone(), "the second waits while the first runs");
        first.succeeded("committed");
        assertEquals("op-2", second.join());
        assertEquals(OperationRecord.State.SUCCEEDED, operations.get("op-1").orElseThrow().state());
    }

    @Test
    void theHistorySurvivesARestartOwnerOnlyWithRunningOperationsInterruptedAndIsBounded() throws Exception {
        Path file = dir.resolve("conductor").resolve("operations.json");
        Operations before = new Operations(file, CLOCK, 3);
        for (int i = 0; i < 5; i++) {
            try (Operations.Running op = before.begin("backup", "A", "", "cli", true, false, null)) {
                op.succeeded("backup " + i + " committed");
            }
        }
        Operations.Running restore = before.begin("restore", "A", "A-0001", "cli", true, false, "cli-session");
        restore.progress(new Progress("restore", 10, 40, 1, 4, 1, 4, 0));
        assertEquals("op-6", before.ofSession("cli-session").orElseThrow().id());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Operations after = new Operations(file, CLOCK, 3);
        List<OperationRecord> recent = after.recent(null, 10);
        assertEquals(List.of("op-6", "op-5", "op-4"), recent.stream().map(OperationRecord::id).toList(),
                "the newest 3 ended ones are kept");
        OperationRecord interrupted = recent.get(0);
        assertEquals(OperationRecord.State.INTERRUPTED, interrupted.state());
        assertTrue(interrupted.outcome().startsWith("the Conductor stopped while it ran; its outcome is unknown: check"
                + " the module"), interrupted.outcome());
        assertEquals("backup 4 committed", recent.get(1).outcome());
        assertEquals(List.of(), after.running(), "an interrupted operation blocks nothing");
        try (Operations.Running next = after.begin("restore", "A", "A-0001", "cli", true, false, null)) {
            assertEquals("op-7", next.id(), "numbers go on after a restart");
        }
    }

    @Test
    void anUnreadableHistoryIsReplacedNotFatal() throws Exception {
        Path file = dir.resolve("operations.json");
        Files.writeString(file, "{not json");
        Operations operations = new Operations(file, CLOCK, 10);
        assertEquals(List.of(), operations.recent(null, 10));
        try (Operations.Running op = operations.begin("backup", "A", "", "cli", true, false, null)) {
            assertEquals("op-1", op.id());
        }
    }

    @Test
    void theProgressLineShowsTasksFilesBytesRateAndTimeLeft() {
        OperationRecord running = new OperationRecord("op-3", "backup", "A", "", "cli", true, OperationRecord.State.RUNNING,
                0, -1, new Progress("backup", 4L << 20, 12L << 20, 30, 90, 2, 8, 0), "");
        assertEquals("op-3 backup: 2/8 tasks, 30/90 files, 4.0 MiB of 12.0 MiB, 1.0 MiB/s, about 8 s left (4 s)",
                ProgressLine.of(running, 4000));
        OperationRecord starting = new OperationRecord("op-4", "restore", "A", "A-1", "cli", true,
                OperationRecord.State.RUNNING, 0, -1, null, "");
        assertEquals("op-4 restore: starting (1 min 5 s)", ProgressLine.of(starting, 65_000));
        OperationRecord limited = new OperationRecord("op-5", "backup", "A", "", "cli", true, OperationRecord.State.RUNNING,
                0, -1, new Progress("backup", 4L << 20, 12L << 20, 30, 90, 2, 8, 1L << 20), "");
        assertEquals("op-5 backup: 2/8 tasks, 30/90 files, 4.0 MiB of 12.0 MiB (limited to 1.0 MiB/s per Supervisor),"
                + " 1.0 MiB/s, about 8 s left (4 s)", ProgressLine.of(limited, 4000));
    }
}
