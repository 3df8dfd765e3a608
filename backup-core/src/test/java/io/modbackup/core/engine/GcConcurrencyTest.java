package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC runs continuously against a stream of at least 200 backups taken under writes: from the same
 * process, and from a second engine with its own provider and locks, as another process of the
 * cluster would. Every backup must deep-verify when it commits; every one but the 3 kept is deleted
 * by exactly one GC run; the survivors verify and restore at the end.
 */
class GcConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void gcNeverHarmsACommittedOrInProgressBackup() throws Exception {
        try (EngineFixture f = new EngineFixture(dir);
             LocalDirectoryProvider otherProcessStore = new LocalDirectoryProvider(dir.resolve("store").toString());
             BackupEngine otherProcess = new BackupEngine(f.cluster, otherProcessStore,
                     BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK))) {
            f.cluster.setDynamicOption(A, "backup.max.age.hours", "0");
            f.cluster.setDynamicOption(A, "backup.min.backups.to.keep", "3");
            f.workload.start(List.of(new DepotRef(A, "*events"), new DepotRef(B, "*clicks")), 5, Duration.ofMillis(5));
            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger sameRuns = new AtomicInteger();
            AtomicInteger otherRuns = new AtomicInteger();
            AtomicInteger deleted = new AtomicInteger();
            List<Thread> collectors = List.of(
                    collector("gc-same-process", f.engine, 20, running, sameRuns, deleted, failures),
                    collector("gc-other-process", otherProcess, 35, running, otherRuns, deleted, failures));
            collectors.forEach(Thread::start);

            // At least 200 backups, and on until each collector has run 10 times among them, however the
            // threads are scheduled (bounded, so that collectors that never run fail the test).
            int backups = 0;
            try {
                for (; (backups < BACKUPS || sameRuns.get() < 10 || otherRuns.get() < 10) && failures.isEmpty(); backups++) {
                    assertTrue(backups < 5 * BACKUPS, "the collectors ran " + sameRuns + " and " + otherRuns + " times in "
                            + backups + " backups");
                    ModuleManifest m = f.engine.backup(A);
                    VerifyReport report = f.engine.verify(m.backupId(), true);
                    assertTrue(report.ok(), "backup " + backups + " " + m.backupId() + ": " + report.problems());
                }
            } finally {
                running.set(false);
                for (Thread t : collectors) {
                    t.join();
                }
                f.workload.close();
            }
            assertTrue(failures.isEmpty(), () -> "GC failed: " + failures.peek());

            int last = f.engine.gc(false).deletedBackups().size();
            List<BackupSummary> left = f.engine.list(A, null, 100).backups();
            assertEquals(3, left.size(), "retention keeps the newest 3");
            assertEquals(backups - 3, deleted.get() + last,
                    "every backup but the 3 kept was deleted by exactly one GC run, none twice");
            for (BackupSummary b : left) {
                assertTrue(f.engine.verify(b.backupId(), true).ok(), b.backupId());
            }
            f.engine.restore(left.get(left.size() - 1).backupId());
            f.checkLive(A, "after-concurrent-gc");
            System.out.printf("GC concurrency: %d backups, %d + %d GC runs, %d backups deleted by them, %d left%n",
                    backups, sameRuns.get(), otherRuns.get(), deleted.get(), left.size());
        }
    }

    static final int BACKUPS = 200;

    private static Thread collector(String name, BackupEngine engine, long pauseMillis, AtomicBoolean running,
                                    AtomicInteger runs, AtomicInteger deleted, ConcurrentLinkedQueue<Throwable> failures) {
        Thread thread = new Thread(() -> {
            while (running.get()) {
                try {
                    deleted.addAndGet(engine.gc(false).deletedBackups().size());
                    runs.incrementAndGet();
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    failures.add(t);
                    return;
                }
            }
        }, name);
        thread.setDaemon(true);
        return thread;
    }
}
