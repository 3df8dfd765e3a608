package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.core.engine.TaskWorker.TaskRestoreRequest;
import io.modbackup.core.engine.TaskWorker.TaskRestoreResult;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.PathOrderedFiles;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.store.TransferLimits;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A task's restore writes a segment's files while the previous segment's are being fsynced, and no further:
 * every step runs on executors the test pumps, so what has run while the fsyncs are held is exact.
 */
class TaskRestorePipelineTest {
    private static final int CHUNK = 64 * 1024;
    private static final int FILES = 700;

    @TempDir
    Path dir;

    /** Holds what it is given until the test runs it, in the order given. */
    private static final class HeldExecutor implements Executor {
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private int ran;

        @Override
        public synchronized void execute(Runnable task) {
            queue.add(task);
        }

        private synchronized Runnable next() {
            return queue.poll();
        }

        synchronized int held() {
            return queue.size();
        }

        synchronized int ran() {
            return ran;
        }

        /** Runs the first {@code count} tasks held (and not those they hand this executor). */
        void run(int count) {
            for (int i = 0; i < count; i++) {
                Runnable task = next();
                synchronized (this) {
                    ran++;
                }
                task.run();
            }
        }

        /** Runs tasks until none is held. */
        void runAll() {
            for (Runnable task = next(); task != null; task = next()) {
                synchronized (this) {
                    ran++;
                }
                task.run();
            }
        }
    }

    private static String content(int i) {
        return "file " + i + " of the task";
    }

    private static FileEntry inlined(int i) {
        byte[] bytes = content(i).getBytes(StandardCharsets.UTF_8);
        return new FileEntry(String.format("depots/d/%05d", i), FileKind.IMMUTABLE, bytes.length, i, Hashing.sha256Hex(bytes),
                List.of(), Base64.getEncoder().encodeToString(bytes), null);
    }

    @Test
    void aSegmentIsWrittenWhileTheOneBeforeIsSyncedAndTheNextWaitsForThoseSyncs() throws Exception {
        InMemoryProvider memory = new InMemoryProvider();
        BackupId id = new BackupId("m", 1_700_000_000_000L, 1);
        List<FileEntry> files = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            files.add(inlined(i));
        }
        BackupStore writing = new BackupStore(SealingProvider.reader(memory, Runnable::run), new ManifestCodec(), Runnable::run);
        var writer = writing.taskManifestWriter(new TaskManifest(ManifestCodec.VERSION, "m", id.toString(), 0, List.of(),
                Map.of(), Map.of()), Set.of());
        files.forEach(writer::add);
        TaskRef ref = writer.finish().join().ref();
        PathOrderedFiles walk = PathOrderedFiles.open(writing, ref, CHUNK, "task 0").join();
        List<Integer> segmentSizes = new ArrayList<>();
        for (List<FileEntry> batch = walk.nextBatch().join(); !batch.isEmpty(); batch = walk.nextBatch().join()) {
            segmentSizes.add(batch.size());
        }
        assertTrue(segmentSizes.size() >= 4, "several segments: " + segmentSizes);

        HeldExecutor work = new HeldExecutor();
        HeldExecutor syncs = new HeldExecutor();
        SealingProvider sealing = SealingProvider.reader(synchronous(memory), work);
        ChunkStore chunks = new ChunkStore(sealing, work, syncs, new Semaphore(4), 4096);
        Path staging = Files.createDirectories(dir.resolve("staging"));
        LocalTaskWorker worker = new LocalTaskWorker(stagingOnly(staging), new BackupStore(sealing, new ManifestCodec(), work),
                chunks, work, 8, new TransferLimits());

        CompletableFuture<TaskRestoreResult> restored = worker.restoreTask(
                new TaskRestoreRequest("m", id.toString(), "restore-1", 0, ref, CHUNK, 0));
        work.runAll();
        int first = segmentSizes.get(0);
        int second = segmentSizes.get(1);
        assertEquals(files.subList(0, first + second).stream().map(FileEntry::path).toList(), restoredPaths(staging),
                "the second segment is written while the first one's fsyncs are held, the third is not");
        assertEquals(first + second, syncs.held(), "an fsync asked for each file written, none run");
        assertFalse(restored.isDone());

        syncs.run(first);
        work.runAll();
        int third = segmentSizes.get(2);
        assertEquals(files.subList(0, first + second + third).stream().map(FileEntry::path).toList(), restoredPaths(staging),
                "the first segment durable, the third is written");
        assertEquals(second + third, syncs.held());

        syncs.run(second + third - 1);
        work.runAll();
        assertFalse(restored.isDone(), "one fsync held keeps the task's restore from completing");
        for (int round = 0; round < 2 * segmentSizes.size() + 4 && !restored.isDone(); round++) {
            syncs.runAll();
            work.runAll();
        }
        assertTrue(restored.isDone(), "done once every fsync ran");
        assertEquals(new TaskRestoreResult(0, FILES, files.stream().mapToLong(FileEntry::size).sum()), restored.join());
        assertEquals(files.stream().map(FileEntry::path).toList(), restoredPaths(staging));
        for (int i = 0; i < FILES; i++) {
            assertArrayEquals(content(i).getBytes(StandardCharsets.UTF_8), Files.readAllBytes(staging.resolve(files.get(i).path())));
        }
        // Each file once, then its directories once each (staging, depots, depots/d), not once per segment.
        assertEquals(FILES + 3, syncs.ran());
    }

    private static List<String> restoredPaths(Path staging) throws Exception {
        try (Stream<Path> walk = Files.walk(staging)) {
            return walk.filter(Files::isRegularFile).map(file -> staging.relativize(file).toString()).sorted().toList();
        }
    }

    /** {@code memory} with reads that complete before they return, so that only the held executors run work. */
    private static BackupProvider synchronous(BackupProvider memory) {
        return new ForwardingBackupProvider(memory) {
            @Override
            public CompletableFuture<InputStream> getObject(String key) {
                return CompletableFuture.completedFuture(memory.getObject(key).join());
            }
        };
    }

    /** A Supervisor that only hands out {@code staging}. */
    private static SupervisorRuntime stagingOnly(Path staging) {
        return (SupervisorRuntime) Proxy.newProxyInstance(SupervisorRuntime.class.getClassLoader(),
                new Class<?>[] {SupervisorRuntime.class}, (proxy, method, args) -> {
                    if (method.getName().equals("stagingDirectory")) {
                        return staging;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
