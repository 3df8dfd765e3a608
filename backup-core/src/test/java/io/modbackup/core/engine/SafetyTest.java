package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.testkit.provider.FaultRule.Operation;
import io.modbackup.testkit.provider.FaultRule;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing partial is ever a backup; nothing tampered is ever restored; live state is never harmed. */
class SafetyTest {
    @TempDir
    Path dir;
    EngineFixture f;
    private final ManifestCodec codec = new ManifestCodec();

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        f.write(600);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void aCrashBeforeTheModuleManifestLeavesNoVisibleBackupAndTheNextBackupWorks() throws Exception {
        f.provider.addRule(FaultRule.fail(Operation.PUT).forKeys(".*/backup\\.json"));
        assertThrows(RuntimeException.class, () -> f.engine.backup(A));
        assertEquals(List.of(), f.engine.list(A, null, 10).backups(), "no backup without its module manifest");
        assertTrue(Files.exists(dir.resolve("store/blobs")), "the chunks it uploaded stay for GC or reuse");
        f.provider.clearRules();
        ModuleManifest next = f.engine.backup(A);
        assertEquals(List.of(next.backupId()), f.engine.list(A, null, 10).backups().stream().map(BackupSummary::backupId).toList());
        assertTrue(next.totals().chunksReused() > 0, "the next backup reuses the crashed one's chunks");
        assertTrue(f.engine.verify(next.backupId(), true).ok());
    }

    @Test
    void aChunkUploadThatKeepsFailingFailsTheBackupAndReleasesTheCut() throws Exception {
        // Retried with backoff, then given up: a store that keeps refusing fails the backup.
        f.provider.addRule(FaultRule.fail(Operation.PUT).forKeys("blobs/.*"));
        RuntimeException e = assertThrows(RuntimeException.class, () -> f.engine.backup(A));
        java.util.regex.Matcher key = java.util.regex.Pattern.compile("PUT '(blobs/[^']+)'").matcher(e.getMessage());
        assertTrue(key.find(), e.getMessage());
        // Each upload tries the store operation RETRY_ATTEMPTS times; a task gets taskAttempts. Tasks on one
        // Supervisor share a backup's uploads: one holding the chunk waits for another's upload of it and
        // fails with it, so the chunk is sent at most once per attempt of each task holding it.
        String sha = key.group(1).substring(key.group(1).lastIndexOf('/') + 1);
        // A chunk no file hashes to is a pack of one task's small files.
        long holders = Math.max(1, tasksHolding(sha));
        long tries = f.provider.faultsInjected(key.group(1));
        long most = BackupEngine.RETRY_ATTEMPTS * BackupOptions.defaults().taskAttempts() * holders;
        assertTrue(tries > 0 && tries % BackupEngine.RETRY_ATTEMPTS == 0 && tries <= most, "the failing chunk, held by "
                + holders + " task(s), was tried " + tries + " times: whole rounds of retries, at most " + most);
        f.provider.clearRules();
        assertEquals(List.of(), f.engine.list(A, null, 10).backups());
        for (var supervisor : f.cluster.supervisors()) {
            Path cuts = supervisor.root().resolve("cuts").resolve(A);
            try (Stream<Path> left = Files.isDirectory(cuts) ? Files.list(cuts) : Stream.empty()) {
                assertEquals(0, left.count(), "the cut was released on " + supervisor.id());
            }
        }
    }

    @Test
    void aBackupStalledPastItsLeaseWhileAGcRanIsRefusedAtCommit() throws Exception {
        java.time.Duration ttl = java.time.Duration.ofSeconds(1);
        BackupOptions options = BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK)
                .withLeases(ttl, java.time.Duration.ofSeconds(30));
        long now = System.currentTimeMillis();
        // The backup's process stalls: its clock (which dates its heartbeats) stands still, while the GC's
        // process is 10 TTLs later, so it finds the backup's lease expired and goes on.
        io.modbackup.testkit.time.MutableClock backupClock = new io.modbackup.testkit.time.MutableClock(now);
        io.modbackup.testkit.time.MutableClock gcClock = new io.modbackup.testkit.time.MutableClock(now + ttl.toMillis() * 10);
        f.provider.addRule(FaultRule.delay(Operation.PUT, java.time.Duration.ofSeconds(3)).forKeys("blobs/.*").times(1));
        try (BackupEngine stalled = new BackupEngine(f.cluster, f.provider, options, null, backupClock);
             BackupEngine collector = new BackupEngine(f.cluster, f.provider, options, null, gcClock)) {
            java.util.concurrent.CompletableFuture<ModuleManifest> backup =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> stalled.backup(A));
            long until = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            while (f.provider.faultsInjected() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(1, f.provider.faultsInjected(), "the backup stalls in an upload");
            collector.gc(false);
            java.util.concurrent.CompletionException refused =
                    assertThrows(java.util.concurrent.CompletionException.class, backup::join);
            BackupException cause = (BackupException) refused.getCause();
            assertEquals(BackupException.Problem.LEASE_OVERTAKEN, cause.problem(), cause.getMessage());
            assertEquals(List.of(), f.engine.list(A, null, 10).backups(), "nothing was committed");

            backupClock.advance(java.time.Duration.ofMillis(gcClock.millis() - backupClock.millis() + 1));
            ModuleManifest next = stalled.backup(A);
            assertTrue(f.engine.verify(next.backupId(), true).ok(), "the next backup commits whole");
        }
    }

    @Test
    void aFewFailedUploadsAreRetriedAndTheBackupCommits() throws Exception {
        f.provider.addRule(FaultRule.fail(Operation.PUT).forKeys("blobs/.*").times(3));
        ModuleManifest m = f.engine.backup(A);
        assertEquals(3, f.provider.faultsInjected());
        assertTrue(f.engine.verify(m.backupId(), true).ok());
    }

    @Test
    void aTamperedTaskManifestIsRefusedBeforeAnyLiveFileIsTouched() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        TaskRef ref = manifest.tasks().get(1);
        // The paths are in the task's file-list segments: rewrite the first one's.
        TaskManifest header = codec.decodeTask(readContent(ref.key()).getBytes(StandardCharsets.UTF_8), ref.sha256(),
                manifest.chunkSize(), "task manifest 1");
        String segment = StoreLayout.segmentKey(header.segments().get(0).sha256());
        writeContent(segment, readContent(segment).replaceFirst("\"path\":\"", "\"path\":\"../../../evil/"));
        EngineFixture.LiveState endsBefore = f.live();
        CorruptBackupException e = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()));
        assertTrue(e.getMessage().contains("segment 0 of task manifest 1 of backup " + manifest.backupId()
                + " does not match its checksum"), e.getMessage());
        f.assertUntouched(endsBefore);
    }

    @Test
    void aTamperedModuleManifestIsRefused() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        String key = StoreLayout.moduleManifestKey(BackupId.parse(manifest.backupId()));
        writeContent(key, readContent(key).replace("\"taskCount\":4", "\"taskCount\":5"));
        CorruptBackupException e = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()));
        assertTrue(e.getMessage().contains("does not match its checksum"), e.getMessage());
        assertFalse(f.engine.verify(manifest.backupId(), false).ok());
    }

    @Test
    void aConsistentlyReSealedManifestWithAnEscapingPathIsStillRefused() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        TaskRef ref = manifest.tasks().get(0);
        // Read with its segments; written back with its files inline (format 1's form, still read).
        TaskManifest task = new io.modbackup.core.store.BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run), codec, Runnable::run).taskManifest(manifest, ref);
        List<FileEntry> files = new ArrayList<>(task.files());
        FileEntry first = files.get(0);
        files.set(0, new FileEntry("pstates/../../../../escaped", first.kind(), first.size(), first.modifiedMillis(),
                first.sha256(), first.chunks(), first.inline()));
        byte[] evil = codec.encode(new TaskManifest(task.version(), task.module(), task.backupId(), task.task(), files,
                task.depotEndOffsets(), task.processedOffsets()));
        f.put(ref.key(), evil);
        List<TaskRef> refs = new ArrayList<>(manifest.tasks());
        refs.set(0, new TaskRef(0, ref.key(), Hashing.sha256Hex(evil), ref.files(), ref.bytes()));
        ModuleManifest resealed = new ModuleManifest(manifest.version(), manifest.backupId(), manifest.module(),
                manifest.clusterId(), manifest.createdMillis(), manifest.completedMillis(), manifest.restoreEpoch(),
                manifest.chunkSize(), manifest.descriptor(), manifest.commitIds(), manifest.jar(), refs, manifest.totals(), null);
        f.put(StoreLayout.moduleManifestKey(BackupId.parse(manifest.backupId())), codec.encode(resealed));
        EngineFixture.LiveState endsBefore = f.live();
        CorruptBackupException e = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()));
        assertTrue(e.getMessage().contains("leaves or escapes the task directory"), e.getMessage());
        f.assertUntouched(endsBefore);
        assertFalse(Files.exists(dir.resolve("escaped")));
        assertFalse(Files.exists(f.cluster.supervisors().get(0).root().resolve("escaped")));
    }

    @Test
    void aCorruptChunkIsCaughtDuringStagingAndLiveStateIsKept() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        try (Stream<Path> blobs = Files.walk(dir.resolve("store/blobs"))) {
            for (Path blob : blobs.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(blob);
                bytes[0] ^= 0x40;
                Files.write(blob, bytes);
            }
        }
        EngineFixture.LiveState endsBefore = f.live();
        CorruptBackupException e = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()));
        assertTrue(e.getMessage().contains("is corrupt in the store"), e.getMessage());
        f.assertUntouched(endsBefore);
        for (var supervisor : f.cluster.supervisors()) {
            Path staging = supervisor.root().resolve("staging").resolve(A);
            try (Stream<Path> left = Files.exists(staging) ? Files.list(staging) : Stream.empty()) {
                assertEquals(0, left.count(), "staging was discarded on " + supervisor.id());
            }
        }
    }

    @Test
    void aRestoreThatWouldBreakAnotherModulesDependencyIsRefused() throws Exception {
        ModuleManifest manifest = f.engine.backup(A);
        ModuleDescriptor d = manifest.descriptor();
        List<PStateSpec> withoutTotals = d.pstates().stream().filter(p -> !p.name().equals("$$totals")).toList();
        ModuleDescriptor lacking = new ModuleDescriptor(d.name(), d.taskCount(), d.depots(), d.topologies(), withoutTotals,
                d.dependencies(), d.jarName(), d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism());
        BackupId id = new BackupId(A, manifest.createdMillis() + 1, 0);
        ModuleManifest older = new ModuleManifest(manifest.version(), id.toString(), A, manifest.clusterId(),
                manifest.createdMillis() + 1, manifest.completedMillis(), manifest.restoreEpoch(), manifest.chunkSize(),
                lacking, manifest.commitIds(), manifest.jar(), manifest.tasks(), manifest.totals(), null);
        f.put(StoreLayout.moduleManifestKey(id), codec.encode(older));
        EngineFixture.LiveState endsBefore = f.live();
        BackupException e = assertThrows(BackupException.class, () -> f.engine.restore(id.toString()));
        assertTrue(e.getMessage().contains("module " + B + " depends on pstate $$totals of module " + A), e.getMessage());
        f.assertUntouched(endsBefore);
    }

    @Test
    void unknownAndMalformedBackupIdsAreClearErrors() {
        BackupException missing = assertThrows(BackupException.class, () -> f.engine.info(A + "-00000193E038B5F8-DE"));
        assertTrue(missing.getMessage().contains("no backup " + A + "-00000193E038B5F8-DE in the store"), missing.getMessage());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class, () -> f.engine.restore("nonsense"));
        assertTrue(malformed.getMessage().startsWith("malformed backup ID 'nonsense'"), malformed.getMessage());
        BackupException unknown = assertThrows(BackupException.class, () -> f.engine.backup("com.nope.Missing"));
        assertTrue(unknown.getMessage().contains("unknown module com.nope.Missing"), unknown.getMessage());
    }

    @Test
    void aStoreOwnedByAnotherClusterRefusesBackups() throws Exception {
        f.put(StoreLayout.OWNER_KEY, "{\"clusterId\":\"other\"}".getBytes(StandardCharsets.UTF_8));
        BackupException e = assertThrows(BackupException.class, () -> f.engine.backup(A));
        assertTrue(e.getMessage().contains("belongs to another cluster"), e.getMessage());
    }

    @Test
    void aTaskRestoreWhoseStagingTheHostRemovedStopsInsteadOfDownloadingTheRest() throws Exception {
        f.write(2000);
        // Two files in flight per task at a time, each chunk download slowed: the staging goes while most are still to come.
        // Chunks larger than any file and nothing inlined: one chunk download per file (a window of two files
        // sends a pack of each small file: one file each).
        BackupOptions options = new BackupOptions(4 * 1024 * 1024, 0, 1, 2, 4, java.time.Duration.ofMinutes(10),
                java.time.Duration.ofMinutes(1), java.time.Duration.ofMinutes(5), 1,
                io.modbackup.core.seal.Compression.DEFAULT, null, null);
        assertEquals(2, options.filesInFlightPerTask());
        ModuleManifest manifest;
        try (BackupEngine engine = new BackupEngine(f.cluster, f.provider, options)) {
            manifest = engine.backup(A);
        }
        f.write(100);
        Map<Integer, Long> ends = f.depotEnds();
        f.provider.addRule(FaultRule.delay(Operation.GET, java.time.Duration.ofMillis(40)).forKeys("blobs/.*"));
        try (BackupEngine engine = new BackupEngine(f.cluster, f.provider, options)) {
            java.util.concurrent.atomic.AtomicBoolean restoreEnded = new java.util.concurrent.atomic.AtomicBoolean();
            Thread host = new Thread(() -> {
                // What a host does for a restore its Conductor gave up: remove the staging, again at every
                // sweep (a removal racing a file being written can leave a directory behind).
                try {
                    while (f.cluster.supervisors().stream().noneMatch(s -> Files.isDirectory(s.root().resolve("staging").resolve(A)))) {
                        Thread.sleep(5);
                    }
                    while (!restoreEnded.get()) {
                        f.cluster.supervisors().forEach(s -> deleteRecursively(s.root().resolve("staging")));
                        Thread.sleep(5);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            host.start();
            RuntimeException e;
            try {
                e = assertThrows(RuntimeException.class, () -> engine.restore(manifest.backupId()));
            } finally {
                restoreEnded.set(true);
                host.join();
            }
            // Either the check before a file ("was abandoned: its staging directory ... was removed") or a
            // file in flight that lost its directory ("cannot create .../staging/...") ends the task.
            assertTrue(e.getMessage().contains("/staging/" + A + "/"), e.getMessage());
        }
        // Each file is one chunk, each chunk download a delayed GET (retries of a download whose directory
        // went are more of them): per task at most the files in flight, and one racing the check, were fetched.
        io.modbackup.core.store.BackupStore backups = new io.modbackup.core.store.BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run), new ManifestCodec(),
                Runnable::run);
        java.util.Set<String> chunkKeys = new java.util.HashSet<>();
        for (TaskRef ref : manifest.tasks()) {
            for (FileEntry file : backups.taskManifest(manifest, ref).files()) {
                assertTrue(file.chunks().size() <= 1, file.path() + " is one chunk");
                file.chunks().forEach(sha -> chunkKeys.add(StoreLayout.chunkKey(sha)));
            }
        }
        long fetched = chunkKeys.stream().filter(key -> f.provider.faultsInjected(key) > 0).count();
        long bound = (long) manifest.tasks().size() * (options.filesInFlightPerTask() + 1);
        assertTrue(chunkKeys.size() > 2 * bound, "enough chunks to tell: " + chunkKeys.size() + " against a bound of " + bound);
        assertTrue(fetched <= bound, fetched + " chunks fetched (at most " + bound + " expected, " + chunkKeys.size()
                + " in a whole restore): the restore went on after its staging was removed");
        f.provider.clearRules();
        assertEquals(ends, f.depotEnds(), "nothing was installed: the module kept its state");
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.isDirectory(dir) ? Files.walk(dir) : Stream.empty()) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            // A directory that changed during the walk: the next sweep removes the rest.
        }
    }

    /** How many of module A's live tasks hold a file whose content hashes to {@code sha} (a one-chunk file). */
    private long tasksHolding(String sha) throws java.io.IOException {
        long holders = 0;
        for (var supervisor : f.cluster.supervisors()) {
            Path state = supervisor.root().resolve("state").resolve(A);
            if (!Files.isDirectory(state)) {
                continue;
            }
            try (Stream<Path> tasks = Files.list(state)) {
                for (Path task : tasks.toList()) {
                    try (Stream<Path> files = Files.walk(task)) {
                        if (files.filter(Files::isRegularFile).anyMatch(file -> sha.equals(sha256(file)))) {
                            holders++;
                        }
                    }
                }
            }
        }
        return holders;
    }

    /** The content of a stored manifest, opened as the engine opens it (it may be stored compressed). */
    private String readContent(String key) throws java.io.IOException {
        try (java.io.InputStream in = io.modbackup.core.store.SealingProvider.reader(f.provider, Runnable::run).getObject(key).join()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Replaces a stored manifest's content, as a bucket writer could (stored plain, which every reader reads). */
    private void writeContent(String key, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        f.provider.delegate().putObject(key, new java.io.ByteArrayInputStream(bytes), bytes.length).join();
    }

    private static String sha256(Path file) {
        try {
            return Hashing.sha256Hex(Files.readAllBytes(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
