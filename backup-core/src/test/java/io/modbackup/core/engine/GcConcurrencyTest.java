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
 * GC runs continuously against a stream of 200 backups taken under writes: from the same process,
 * and from a second engine with its own provider and locks, as another process of the cluster
 * would. Every backup must verify when it commits, and every backup that survives must verify and
 * restore at the end.
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
            AtomicInteger gcRuns = new AtomicInteger();
            AtomicInteger deleted = new AtomicInteger();
            List<Thread> collectors = List.of(
                    collector("gc-same-process", f.engine, 20, running, gcRuns, deleted, failures),
                    collector("gc-other-process", otherProcess, 35, running, gcRuns, deleted, failures));
            collectors.forEach(Thread::start);

            int backups = 0;
            try {
                for (; backups < 200 && failures.isEmpty(); backups++) {
                    ModuleManifest m = f.engine.backup(A);
                    VerifyReport report = f.engine.verify(m.backupId(), false);
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
            assertEquals(200, backups);

            f.engine.gc(false);
            List<BackupSummary> left = f.engine.list(A, null, 100).backups();
            assertEquals(3, left.size(), "retention keeps the newest 3");
            for (BackupSummary b : left) {
                assertTrue(f.engine.verify(b.backupId(), true).ok(), b.backupId());
            }
            f.engine.restore(left.get(left.size() - 1).backupId());
            f.checkLive(A, "after-concurrent-gc");
            System.out.printf("GC concurrency: %d backups, %d GC runs, %d backups deleted by GC, %d left%n",
                    backups, gcRuns.get(), deleted.get(), left.size());
            assertTrue(gcRuns.get() >= 20 && deleted.get() >= 150, gcRuns + " runs, " + deleted + " deleted");
        }
    }

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
