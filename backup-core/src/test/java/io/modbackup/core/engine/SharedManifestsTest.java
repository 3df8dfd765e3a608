package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.FileKind;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Task file lists stored in content-addressed segments that backups share: what an unchanged run of
 * files costs (nothing), what a change costs (its segment), how segments are cut, and that a store
 * of format 1 (files inline in the task manifest) is still restored and backed up again.
 */
class SharedManifestsTest {
    @TempDir
    Path dir;
    EngineFixture f;
    private final ManifestCodec codec = new ManifestCodec();

    @BeforeEach
    void setUp() {
        f = new EngineFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private BackupStore store() {
        return new BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run), codec, Runnable::run);
    }

    private Set<String> segmentsOf(ModuleManifest manifest) {
        return store().reach(manifest, file -> { }).segments();
    }

    @Test
    void backupsShareTheSegmentsOfFilesThatDidNotChangeAndAChangeRewritesOnlyItsSegment() throws Exception {
        // 1 KiB depot segments: hundreds of files a task, several file-list segments a task.
        try (io.modbackup.sim.SimulatedCluster cluster = new io.modbackup.sim.SimulatedCluster(
                "many-files", dir.resolve("many-files"), 2, 1024, List.of(io.modbackup.sim.SampleModules.moduleA()));
             io.modbackup.core.provider.local.LocalDirectoryProvider provider =
                     new io.modbackup.core.provider.local.LocalDirectoryProvider(dir.resolve("many-store").toString());
             BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(64 * 1024))) {
            cluster.deploy(io.modbackup.sim.SampleModules.moduleA(), new io.modbackup.api.runtime.Parallelism(4, 2, 1));
            io.modbackup.sim.Workload workload = new io.modbackup.sim.Workload(cluster, 3, 2000, 100);
            workload.appendBatch(A, "*events", 12_000);
            assertTrue(cluster.awaitCaughtUp(A, 120_000));
            ModuleManifest first = engine.backup(A);
            workload.appendBatch(A, "*events", 100);
            assertTrue(cluster.awaitCaughtUp(A, 120_000));
            ModuleManifest second = engine.backup(A);
            BackupStore store = new BackupStore(io.modbackup.core.store.SealingProvider.reader(provider, Runnable::run), codec, Runnable::run);
            Set<String> before = store.reach(first, file -> { }).segments();
            Set<String> after = store.reach(second, file -> { }).segments();
            Set<String> shared = new HashSet<>(after);
            shared.retainAll(before);
            Set<String> written = new HashSet<>(after);
            written.removeAll(before);
            long reRead = second.totals().files() - 1 - second.totals().filesReused();
            assertTrue(second.totals().files() > 4 * 2 * FileListSegmentsSize.AVERAGE, second.totals().files() + " files");
            assertFalse(shared.isEmpty(), "the second backup shares segments with the first: " + after.size() + " segments, "
                    + written.size() + " new");
            assertTrue(written.size() <= reRead, written.size() + " new segments for " + reRead + " files read again");
            // Mutable files are segments of their own (a few entries each): what is written again is counted in bytes.
            long allSegmentBytes = 0;
            long writtenSegmentBytes = 0;
            for (String sha : after) {
                long size = Files.size(dir.resolve("many-store").resolve(StoreLayout.segmentKey(sha)));
                allSegmentBytes += size;
                writtenSegmentBytes += written.contains(sha) ? size : 0;
            }
            assertTrue(writtenSegmentBytes < allSegmentBytes / 2, writtenSegmentBytes + " of " + allSegmentBytes
                    + " segment bytes written again, in " + written.size() + " of " + after.size() + " segments");
            assertTrue(engine.verify(first.backupId(), true).ok());
            assertTrue(engine.verify(second.backupId(), true).ok());

            // Manifest bytes the second backup wrote, against format 1's whole task manifests.
            long headers = 0;
            long inline = 0;
            for (TaskRef ref : second.tasks()) {
                headers += Files.size(dir.resolve("many-store").resolve(ref.key()));
                TaskManifest task = store.taskManifest(second, ref);
                inline += codec.encode(new TaskManifest(1, task.module(), task.backupId(), task.task(), task.files(),
                        task.depotEndOffsets(), task.processedOffsets())).length;
            }
            long segmentBytes = 0;
            for (String sha : written) {
                segmentBytes += Files.size(dir.resolve("many-store").resolve(StoreLayout.segmentKey(sha)));
            }
            System.out.printf("shared manifests: %d files in %d segments; the second backup wrote %d task-manifest bytes and"
                    + " %d bytes in %d new segments (%d in all), where format 1 wrote %d bytes (%.3fx)%n", second.totals().files(),
                    after.size(), headers, segmentBytes, written.size(), headers + segmentBytes, inline,
                    (double) (headers + segmentBytes) / inline);
            assertTrue(headers + segmentBytes < inline / 2, "a backup writes manifest bytes in proportion to what changed");
        }
    }

    @Test
    void aBackupReadsOnlyTheSegmentsWhoseFilesChangedOrAreMutableAndRefersToTheRestByStamp() throws Exception {
        // 1 KiB depot segments: hundreds of files a task, several file-list segments a task.
        try (io.modbackup.sim.SimulatedCluster cluster = new io.modbackup.sim.SimulatedCluster(
                "stamps", dir.resolve("stamps"), 2, 1024, List.of(io.modbackup.sim.SampleModules.moduleA()));
             io.modbackup.core.provider.local.LocalDirectoryProvider local =
                     new io.modbackup.core.provider.local.LocalDirectoryProvider(dir.resolve("stamps-store").toString())) {
            RecordingProvider provider = new RecordingProvider(local);
            try (BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults())) {
                cluster.deploy(io.modbackup.sim.SampleModules.moduleA(), new io.modbackup.api.runtime.Parallelism(4, 2, 1));
                io.modbackup.sim.Workload workload = new io.modbackup.sim.Workload(cluster, 3, 2000, 100);
                workload.appendBatch(A, "*events", 12_000);
                // Settled: no compaction replaces SSTs between the backups, so nothing but the mutable files changes.
                assertTrue(cluster.awaitSettled(A, 120_000));
                ModuleManifest first = engine.backup(A);
                BackupStore store = new BackupStore(io.modbackup.core.store.SealingProvider.reader(local, Runnable::run), codec,
                        Runnable::run);
                List<io.modbackup.core.manifest.SegmentRef> refs = new java.util.ArrayList<>();
                for (TaskRef ref : first.tasks()) {
                    refs.addAll(store.readTaskHeader(ref, first.chunkSize(), "task").join().segments());
                }
                long stamped = refs.stream().filter(ref -> ref.stamp() != null).count();
                Set<String> unstamped = new HashSet<>();
                refs.stream().filter(ref -> ref.stamp() == null).forEach(ref -> unstamped.add(StoreLayout.segmentKey(ref.sha256())));
                assertTrue(stamped > 2L * first.tasks().size(), stamped + " of " + refs.size() + " segments stamped");
                assertFalse(unstamped.isEmpty(), "the segments listing RocksDB's mutable files have no stamp");

                provider.clear();
                ModuleManifest same = engine.backup(A);
                assertEquals(unstamped, segmentsRead(provider), "a backup with nothing changed reads only the unstamped segments");
                Set<String> stampedShas = new HashSet<>();
                refs.stream().filter(ref -> ref.stamp() != null).forEach(ref -> stampedShas.add(ref.sha256()));
                assertTrue(store.reach(same, file -> { }).segments().containsAll(stampedShas),
                        "and refers to every stamped segment as it was (a checkpoint's mutable files change the others)");
                long unchanged = 0;
                for (int t = 0; t < same.tasks().size(); t++) {
                    Set<FileEntry> before = new HashSet<>(store.taskManifest(first, first.tasks().get(t)).files());
                    unchanged += store.taskManifest(same, same.tasks().get(t)).files().stream()
                            .filter(file -> file.kind() != io.modbackup.api.runtime.FileKind.MUTABLE && before.contains(file))
                            .count();
                }
                assertEquals(unchanged, same.totals().filesReused(), "every file the first backup had, not mutable, reused");
                // What it wrote: segments of the mutable files alone (a few entries each), never the SSTs around them.
                List<io.modbackup.core.manifest.SegmentRef> sameRefs = new java.util.ArrayList<>();
                for (TaskRef ref : same.tasks()) {
                    sameRefs.addAll(store.readTaskHeader(ref, same.chunkSize(), "task").join().segments());
                }
                Set<String> firstShas = new HashSet<>();
                refs.forEach(ref -> firstShas.add(ref.sha256()));
                long mutableFiles = 0;
                long newSegments = 0;
                for (io.modbackup.core.manifest.SegmentRef ref : sameRefs) {
                    List<FileEntry> entries = store.readSegment(ref, same.chunkSize(), "segment").join();
                    long mutable = entries.stream().filter(e -> e.kind() == io.modbackup.api.runtime.FileKind.MUTABLE).count();
                    assertTrue(mutable == 0 || mutable == entries.size(), "a segment mixes mutable and other files: " + entries);
                    mutableFiles += mutable;
                    if (!firstShas.contains(ref.sha256())) {
                        newSegments++;
                        assertEquals(entries.size(), mutable, "a segment the no-change backup wrote holds only mutable files");
                    }
                }
                assertEquals(same.totals().files() - 1 - same.totals().filesReused(), mutableFiles,
                        "the files read again are the mutable ones");
                assertEquals(unstamped.size(), newSegments, "one new segment for each run of mutable files");

                Set<String> unstampedNow = new HashSet<>();
                for (TaskRef ref : same.tasks()) {
                    store.readTaskHeader(ref, same.chunkSize(), "task").join().segments().stream().filter(r -> r.stamp() == null)
                            .forEach(r -> unstampedNow.add(StoreLayout.segmentKey(r.sha256())));
                }
                workload.appendBatch(A, "*events", 100);
                assertTrue(cluster.awaitCaughtUp(A, 120_000));
                provider.clear();
                ModuleManifest grown = engine.backup(A);
                Set<String> read = segmentsRead(provider);
                Set<String> stampedRead = new HashSet<>(read);
                stampedRead.removeAll(unstampedNow);
                assertTrue(read.containsAll(unstampedNow) && stampedRead.size() <= stamped / 2, read.size() + " segments read of "
                        + refs.size() + ": the " + unstampedNow.size() + " unstamped ones and " + stampedRead.size() + " of the "
                        + stamped + " stamped, those whose files grew");
                assertTrue(grown.totals().filesReused() > grown.totals().files() / 2, grown.totals().toString());
                assertTrue(engine.verify(same.backupId(), true).ok());
                assertTrue(engine.verify(grown.backupId(), true).ok());
            }
        }
    }

    private static Set<String> segmentsRead(RecordingProvider provider) {
        Set<String> read = new HashSet<>();
        provider.calls().stream().filter(call -> call.kind() == RecordingProvider.Kind.GET)
                .filter(call -> call.key().startsWith(StoreLayout.SEGMENTS)).forEach(call -> read.add(call.key()));
        return read;
    }

    /** The average segment size, for sizing the data set. */
    private static final class FileListSegmentsSize {
        static final int AVERAGE = io.modbackup.core.store.FileListSegments.SEGMENT_DIVISOR;
    }

    @Test
    void aSegmentOfEntriesReusedAsTheyWereIsReferredToWithoutBeingEncodedAgain() throws Exception {
        f.write(2000);
        ModuleManifest backup = f.engine.backup(EngineFixture.A);
        io.modbackup.core.manifest.TaskRef ref = backup.tasks().get(0);
        BackupStore store = store();
        io.modbackup.core.manifest.TaskManifest header = store.readTaskHeader(ref, backup.chunkSize(), "task 0").join();
        io.modbackup.core.manifest.SegmentRef first = header.segments().get(0);
        List<FileEntry> listed = store.readSegment(first, backup.chunkSize(), "segment 0").join();
        io.modbackup.core.store.PathOrderedFiles reader = io.modbackup.core.store.PathOrderedFiles.of(store, header,
                backup.chunkSize(), "task 0");
        List<FileEntry> returned = new java.util.ArrayList<>();
        for (FileEntry file : listed) {
            returned.add(reader.seek(file.path()).join());
        }
        assertEquals(listed, returned);
        assertEquals(first, reader.sameSegment(returned), "the entries the reader returned, all of them: its segment");
        List<FileEntry> oneRebuilt = new java.util.ArrayList<>(returned);
        FileEntry last = oneRebuilt.get(oneRebuilt.size() - 1);
        oneRebuilt.set(oneRebuilt.size() - 1, new FileEntry(last.path(), last.kind(), last.size(), last.modifiedMillis(),
                last.sha256(), last.chunks(), last.inline()));
        assertEquals(null, reader.sameSegment(oneRebuilt), "an entry made again (a file read again) is encoded again");
        assertEquals(null, reader.sameSegment(returned.subList(0, returned.size() - 1)), "a shorter run is another segment");

        ModuleManifest same = f.engine.backup(EngineFixture.A);
        assertEquals(segmentsOf(backup).size(), segmentsOf(same).size());
        assertTrue(f.engine.verify(same.backupId(), true).ok(), "a backup referring to reused segments verifies");
    }

    @Test
    void segmentBoundariesDependOnPathsSoAnInsertedFileChangesOnlyItsOwnSegment() {
        List<FileEntry> files = IntStream.range(0, 20_000).mapToObj(i -> entry(String.format("depots/events/%06d.seg", i)))
                .toList();
        List<List<FileEntry>> segments = io.modbackup.core.store.FileListSegments.cut(files);
        assertTrue(segments.size() > 20_000 / 512 && segments.size() < 20_000 / 32, segments.size() + " segments");
        assertTrue(segments.stream().allMatch(s -> s.size() <= 1024), "at most 1024 files a segment");
        List<FileEntry> inserted = new ArrayList<>(files);
        inserted.add(10_000, entry("depots/events/010000a.seg"));
        List<List<FileEntry>> after = io.modbackup.core.store.FileListSegments.cut(inserted);
        Set<List<FileEntry>> unchanged = new HashSet<>(segments);
        long changed = after.stream().filter(s -> !unchanged.contains(s)).count();
        assertTrue(changed <= 2, changed + " segments changed by one inserted file");
    }

    private static FileEntry entry(String path) {
        return new FileEntry(path, FileKind.IMMUTABLE, 10, 1, Hashing.sha256Hex(path.getBytes()), List.of(),
                java.util.Base64.getEncoder().encodeToString(new byte[10]));
    }

    @Test
    void aStoreOfFormatOneIsRestoredVerifiedAndBackedUpAgain() throws Exception {
        f.write(1500);
        ModuleManifest modern = f.engine.backup(A);
        // Rewrite the backup as format 1 wrote it: files inline in each task manifest, version 1 everywhere.
        BackupStore store = store();
        List<TaskRef> refs = new ArrayList<>();
        for (TaskRef ref : modern.tasks()) {
            TaskManifest task = store.taskManifest(modern, ref);
            byte[] bytes = codec.encode(new TaskManifest(1, task.module(), task.backupId(), task.task(), task.files(),
                    task.depotEndOffsets(), task.processedOffsets()));
            f.put(ref.key(), bytes);
            refs.add(new TaskRef(ref.task(), ref.key(), Hashing.sha256Hex(bytes), ref.files(), ref.bytes()));
        }
        ModuleManifest old = new ModuleManifest(1, modern.backupId(), modern.module(), modern.clusterId(),
                modern.createdMillis(), modern.completedMillis(), modern.restoreEpoch(), modern.chunkSize(),
                modern.descriptor(), modern.commitIds(), modern.jar(), refs, modern.totals(), null);
        f.put(StoreLayout.moduleManifestKey(BackupId.parse(modern.backupId())), codec.encode(old));
        for (String key : f.store().listKeysRecursive(StoreLayout.SEGMENTS, null).join().keys()) {
            f.store().deleteObject(key).join();
        }

        assertEquals(1, f.engine.info(modern.backupId()).version());
        assertTrue(f.engine.verify(modern.backupId(), true).ok(), "format 1 verifies");
        ModuleManifest next = f.engine.backup(A);
        assertEquals(ManifestCodec.VERSION, next.version());
        assertTrue(next.totals().filesReused() > 0, "the next backup reuses the format-1 backup's entries");
        assertFalse(segmentsOf(next).isEmpty(), "and writes its file list in segments");
        f.restoreChecked(modern.backupId());
    }

    @Test
    void aDamagedOrMissingSegmentIsReportedAndRefusedBeforeLiveStateIsTouched() throws Exception {
        f.write(1500);
        ModuleManifest manifest = f.engine.backup(A);
        String segment = segmentsOf(manifest).iterator().next();
        Path file = dir.resolve("store").resolve(StoreLayout.segmentKey(segment));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        Map<Integer, Long> ends = f.depotEnds();
        List<String> problems = f.engine.verify(manifest.backupId(), false).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("does not match its checksum in the task manifest"), problems.get(0));
        CorruptBackupException e = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()));
        assertTrue(e.getMessage().contains("segment"), e.getMessage());
        assertEquals(ends, f.depotEnds(), "live state untouched");

        Files.delete(file);
        problems = f.engine.verify(manifest.backupId(), false).problems();
        assertTrue(problems.get(0).contains("is missing (" + StoreLayout.segmentKey(segment) + ")"), problems.toString());
    }
}
