package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.FileSegment;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC over thousands of backups of a 64-task module on the in-memory provider (issue #15, item 3): 2,000
 * in the README's test command, 10,000 under {@code -Plong}. The bounds asserted do not depend on the
 * count: the next run reads what changed, however many backups there are. The first
 * run counts every manifest; with 20 ms injected per provider call (a stand-in for S3), the next run,
 * after new backups and with a backup running beside it, reads only the manifests of the backups
 * committed since and of those it deletes, and deletes exactly what only those reached.
 *
 * <p>The backups past the first real one are its manifests under older IDs, written straight into the
 * store; each also has one task manifest with a segment and chunk of its own, so deleting it frees
 * something. Runs in its own surefire execution with a larger heap: the store holds 650,000 objects.
 */
class GcAtScaleTest {
    private static final String A = SampleModules.MODULE_A;
    private static final int TASKS = 64;
    /** The backups of the long form; {@code -Dgc.scale.backups=N} sets another count. */
    private static final int LONG_BACKUPS = Integer.getInteger("gc.scale.backups", 10_000);
    private static final int DOOMED = 60;
    private static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;
    private SimulatedCluster cluster;
    private FaultInjectingProvider provider;
    private BackupEngine engine;
    private final ManifestCodec codec = new ManifestCodec();

    @BeforeEach
    void setUp() throws Exception {
        cluster = new SimulatedCluster("gc-scale", dir.resolve("cluster"), 4, 64 * 1024, List.of(SampleModules.moduleA(TASKS)));
        cluster.deploy(SampleModules.moduleA(TASKS), new Parallelism(TASKS, 4, 1));
        new Workload(cluster, 5, 2000, 50).appendBatch(A, "*events", 2000);
        assertTrue(cluster.awaitCaughtUp(A, 120_000));
        provider = new FaultInjectingProvider(new InMemoryProvider(), 1);
        engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(CHUNK));
    }

    @AfterEach
    void tearDown() {
        engine.close();
        cluster.close();
    }

    private void put(String key, byte[] bytes, List<CompletableFuture<Void>> puts) {
        puts.add(provider.delegate().putObject(key, new ByteArrayInputStream(bytes), bytes.length));
    }

    private byte[] read(String key) throws Exception {
        // Opened as the engine opens it: the engine stores manifests compressed; these copies go back plain.
        try (InputStream in = io.modbackup.core.store.SealingProvider.reader(provider.delegate(), Runnable::run).getObject(key).get()) {
            return in.readAllBytes();
        }
    }

    /** Backup {@code i} minutes older than {@code newest}: its task manifests, one with a segment and chunk of its own. */
    private void olderBackup(ModuleManifest newest, List<TaskManifest> headers, List<byte[]> headerBytes, int i,
                             List<CompletableFuture<Void>> puts) {
        BackupId id = new BackupId(A, newest.createdMillis() - i * 60_000L, i % 256);
        List<TaskRef> refs = new ArrayList<>();
        for (int t = 0; t < TASKS; t++) {
            TaskRef original = newest.tasks().get(t);
            String key = StoreLayout.taskManifestKey(id, t);
            if (t != i % TASKS) {
                put(key, headerBytes.get(t), puts);
                refs.add(new TaskRef(t, key, original.sha256(), original.files(), original.bytes()));
                continue;
            }
            byte[] chunk = ("chunk of backup " + i + " ").repeat(300).getBytes(StandardCharsets.UTF_8);
            String chunkSha = Hashing.sha256Hex(chunk);
            put(StoreLayout.chunkKey(chunkSha), chunk, puts);
            FileEntry file = new FileEntry("zzzz/only-in-" + i, FileKind.IMMUTABLE, chunk.length, 1, chunkSha,
                    List.of(chunkSha), null);
            byte[] segment = codec.encode(new FileSegment(ManifestCodec.VERSION, List.of(file)));
            String segmentSha = Hashing.sha256Hex(segment);
            put(StoreLayout.segmentKey(segmentSha), segment, puts);
            TaskManifest header = headers.get(t);
            List<SegmentRef> segments = new ArrayList<>(header.segments());
            segments.add(new SegmentRef(segmentSha, 1, chunk.length));
            byte[] bytes = codec.encode(new TaskManifest(header.version(), A, id.toString(), t, List.of(), segments,
                    header.depotEndOffsets(), header.processedOffsets()));
            put(key, bytes, puts);
            refs.add(new TaskRef(t, key, Hashing.sha256Hex(bytes), original.files() + 1, original.bytes() + chunk.length));
        }
        ModuleManifest copy = new ModuleManifest(newest.version(), id.toString(), A, newest.clusterId(), id.createdMillis(),
                id.createdMillis() + 1000, newest.restoreEpoch(), newest.chunkSize(), newest.descriptor(), newest.commitIds(),
                newest.jar(), refs, newest.totals(), null);
        put(StoreLayout.moduleManifestKey(id), codec.seal(copy).bytes(), puts);
        put(StoreLayout.indexKey(id), id.toString().getBytes(StandardCharsets.UTF_8), puts);
    }

    private long keys(String prefix) {
        return keySet(prefix).size();
    }

    private java.util.Set<String> keySet(String prefix) {
        java.util.Set<String> keys = new java.util.HashSet<>();
        String token = null;
        do {
            var page = provider.delegate().listKeysRecursive(prefix, token).join();
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    @Test
    void aGcAfterTheFirstReadsOnlyWhatChangedAndHoldsBackupsOffBriefly() throws Exception {
        gcAtScale(2_000);
    }

    @Test
    @Tag("long")
    void aGcAfterTheFirstReadsOnlyWhatChangedAmongTenThousandBackups() throws Exception {
        gcAtScale(LONG_BACKUPS);
    }

    private void gcAtScale(int backups) throws Exception {
        ModuleManifest newest = engine.backup(A);
        assertEquals(TASKS, newest.tasks().size());
        List<TaskManifest> headers = new ArrayList<>();
        List<byte[]> headerBytes = new ArrayList<>();
        for (TaskRef ref : newest.tasks()) {
            byte[] bytes = read(ref.key());
            headerBytes.add(bytes);
            headers.add(codec.decodeTask(bytes, ref.sha256(), CHUNK, "task " + ref.task()));
        }
        long setupFrom = System.nanoTime();
        for (int from = 1; from < backups; from += 500) {
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (int i = from; i < Math.min(backups, from + 500); i++) {
                olderBackup(newest, headers, headerBytes, i, puts);
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
        }
        long objects = keys("");
        System.out.printf("GC at scale: %d backups of %d tasks, %d objects, written in %d ms%n", backups, TASKS, objects,
                (System.nanoTime() - setupFrom) / 1_000_000);

        // First run: no state yet, so every manifest is read once (what every run read before the state).
        GcReport first = engine.gc(false);
        assertEquals(backups, first.keptBackups());
        assertEquals(List.of(), first.deletedBackups());
        assertTrue(first.manifestsRead() >= (long) backups * (TASKS + 1), "the first run reads every manifest: " + first);
        System.out.printf("GC at scale, first run (no latency): %d manifests read in %d ms%n", first.manifestsRead(),
                first.durationMillis());

        // From here on every provider call takes 20 ms.
        provider.addRule(FaultRule.delay(Operation.ANY, Duration.ofMillis(20)));
        ModuleManifest second = engine.backup(A);
        java.util.Set<String> blobsBefore = keySet(StoreLayout.BLOBS);
        java.util.Set<String> segmentsBefore = keySet(StoreLayout.SEGMENTS);
        // Retention: the DOOMED oldest synthetic backups are past the max age.
        double minutes = backups - DOOMED - 0.5 + (System.currentTimeMillis() - newest.createdMillis()) / 60_000.0;
        double hours = minutes / 60.0;
        cluster.setDynamicOption(A, "backup.max.age.hours", Double.toString(hours));
        cluster.setDynamicOption(A, "backup.min.backups.to.keep", "2");

        CompletableFuture<Long> concurrentBackup = CompletableFuture.supplyAsync(() -> {
            long from = System.nanoTime();
            engine.backup(A);
            return (System.nanoTime() - from) / 1_000_000;
        });
        GcReport next = engine.gc(false);
        long backupMillis = concurrentBackup.join();
        System.out.printf("GC at scale, next run (20 ms per call, a backup running beside it): %d backups deleted,"
                        + " %d manifests read, %d chunks and %d manifests deleted, %d ms in all, %d ms exclusive;"
                        + " the concurrent backup took %d ms%n", next.deletedBackups().size(), next.manifestsRead(),
                next.deletedChunks(), next.deletedManifests(), next.durationMillis(), next.exclusiveMillis(), backupMillis);
        System.out.printf("GC at scale, before this change every run read every manifest under the exclusive lease:"
                + " %d reads, %.0f s at 20 ms with %d in flight%n", first.manifestsRead(), first.manifestsRead() * 0.020 / 32, 32);

        assertEquals(DOOMED, next.deletedBackups().size(), next.toString());
        // Reads: the new backups' and the deleted ones' manifests, not the 10,000 others'.
        long bound = (long) (DOOMED + 3) * (TASKS + 1) * 2;
        assertTrue(next.manifestsRead() <= bound, "read " + next.manifestsRead() + " manifests, more than " + bound);
        // (The concurrent backup may add segments and chunks: what went is what was there before and is not now.)
        blobsBefore.removeAll(keySet(StoreLayout.BLOBS));
        segmentsBefore.removeAll(keySet(StoreLayout.SEGMENTS));
        assertEquals(DOOMED, blobsBefore.size(), "each deleted backup's own chunk, and nothing else");
        assertEquals(DOOMED, segmentsBefore.size(), "each deleted backup's own segment, and nothing else");
        provider.clearRules();
        assertTrue(engine.verify(second.backupId(), true).ok());
        BackupId oldestKept = new BackupId(A, newest.createdMillis() - (backups - DOOMED - 1) * 60_000L,
                (backups - DOOMED - 1) % 256);
        VerifyReport kept = engine.verify(oldestKept.toString(), false);
        assertTrue(kept.ok(), "the oldest kept backup still has every chunk: " + kept.problems());
        assertFalse(provider.delegate().hasKey(StoreLayout.indexKey(new BackupId(A,
                newest.createdMillis() - (backups - 1) * 60_000L, (backups - 1) % 256))).join());

        // A third run reads at most the concurrent backup's manifests (when it committed after the second run).
        GcReport idle = engine.gc(false);
        assertTrue(idle.manifestsRead() <= 2L * (TASKS + 1), idle.toString());
        assertEquals(List.of(), idle.deletedBackups());
    }
}
