package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.StoreLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damages or tampers with each kind of stored object of a committed backup and checks that
 * {@code verify --deep} reports it and that a restore refuses it before any live file is touched,
 * writing nothing outside the state directories. Tampered manifests are re-sealed (checksums
 * recomputed up the chain), so only the codec's validation stands between them and the disk. The
 * case names are rows of {@code docs/reliability.md}.
 */
class CorruptionAndTamperingTest {
    @TempDir
    Path dir;
    private EngineFixture f;
    private ModuleManifest backup;
    private final ManifestCodec codec = new ManifestCodec();

    /** A way of damaging the backup, and the words the refusal must contain. */
    record Damage(String name, Mutation mutation, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Mutation {
        void apply(CorruptionAndTamperingTest test) throws Exception;
    }

    static List<Damage> damages() {
        return List.of(
                new Damage("corrupt.chunk", t -> t.flipByte(t.largestChunk()), "is corrupt"),
                new Damage("corrupt.task-manifest", t -> t.flipByte(t.dir.resolve("store").resolve(t.backup.tasks().get(2).key())),
                        "task manifest 2 of backup"),
                new Damage("corrupt.module-manifest", t -> t.flipByte(t.moduleManifestFile()), "module manifest of backup"),
                new Damage("corrupt.missing-chunk", t -> Files.delete(t.largestChunk()), "is missing"),
                new Damage("corrupt.missing-task-manifest", t -> Files.delete(t.dir.resolve("store").resolve(t.backup.tasks().get(1).key())),
                        "is missing"),
                new Damage("corrupt.inlined-file", t -> t.resealTask(0, task -> t.replaceFile(task, t.inlined(task),
                        e -> copy(e, e.path(), e.size(), e.chunks(), flipInline(e.inline())))),
                        "inlined"),
                new Damage("tamper.absolute-path", t -> t.resealTask(0, task -> t.replaceFile(task, 0,
                        e -> copy(e, t.evilAbsolutePath().toString(), e.size(), e.chunks(), e.inline()))), "is absolute"),
                new Damage("tamper.dot-dot-path", t -> t.resealTask(0, task -> t.replaceFile(task, 0,
                        e -> copy(e, "../../modbackup-evil", e.size(), e.chunks(), e.inline()))), "leaves or escapes the task directory"),
                new Damage("tamper.path-leaving-task-dir", t -> t.resealTask(1, task -> t.replaceFile(task, 0,
                        e -> copy(e, "pstates/../../../modbackup-evil", e.size(), e.chunks(), e.inline()))), "leaves or escapes the task directory"),
                new Damage("tamper.absurd-size", t -> t.resealTask(0, task -> t.replaceFile(task, t.chunked(task),
                        e -> copy(e, e.path(), 1L << 50, e.chunks(), e.inline()))), "absurd size"),
                new Damage("tamper.negative-size", t -> t.resealTask(0, task -> t.replaceFile(task, t.chunked(task),
                        e -> copy(e, e.path(), -1, e.chunks(), e.inline()))), "absurd size"),
                new Damage("tamper.absurd-chunk-count", t -> t.resealTask(0, task -> t.replaceFile(task, t.chunked(task),
                        e -> copy(e, e.path(), e.size(), java.util.Collections.nCopies(1000, e.chunks().get(0)), null))), "chunks, expected"),
                new Damage("tamper.absurd-task-count", t -> t.resealModule(m -> withTasks(m, 400)), "lists 4 task manifests but the module has 400 tasks"),
                new Damage("tamper.duplicate-entry", t -> t.resealTask(3, task -> {
                    List<FileEntry> files = new ArrayList<>(task.files());
                    files.add(files.get(0));
                    return withFiles(task, files);
                }), "twice"),
                new Damage("tamper.unknown-task-manifest-version", t -> t.resealTask(0, task -> new TaskManifest(7, task.module(),
                        task.backupId(), task.task(), task.files(), task.depotEndOffsets(), task.processedOffsets())),
                        "has format version 7 but this modbackup reads versions 1 to 3"),
                new Damage("tamper.unknown-module-manifest-version", t -> t.resealModule(m -> new ModuleManifest(9, m.backupId(),
                        m.module(), m.clusterId(), m.createdMillis(), m.completedMillis(), m.restoreEpoch(), m.chunkSize(),
                        m.descriptor(), m.commitIds(), m.jar(), m.tasks(), m.totals(), null)),
                        "has format version 9 but this modbackup reads versions 1 to 3"),
                new Damage("tamper.tasks-out-of-order", t -> t.resealModule(m -> {
                    List<TaskRef> swapped = new ArrayList<>(m.tasks());
                    java.util.Collections.swap(swapped, 0, 1);
                    return withTaskRefs(m, swapped);
                }), "lists task manifests out of order at position 0"),
                new Damage("tamper.jar-path", t -> t.resealModule(m -> withJar(m,
                        copy(m.jar(), "../modbackup-evil.jar", m.jar().size(), m.jar().chunks(), m.jar().inline()))),
                        "(jar) has file path '../modbackup-evil.jar' that leaves or escapes the task directory"),
                new Damage("tamper.other-backup-id", t -> t.resealModule(m -> withIdentity(m, A + "-00000000DEADBEEF-00", A)),
                        "says it is backup " + A + "-00000000DEADBEEF-00 of module " + A + ": it was moved or forged"),
                new Damage("tamper.other-module", t -> t.resealModule(m -> withIdentity(m, m.backupId(), "com.evil.Module")),
                        "of module com.evil.Module: it was moved or forged"),
                new Damage("tamper.descriptor-name", t -> t.resealModule(m -> withDescriptor(m, d -> new ModuleDescriptor(
                        "../modbackup-evil", d.taskCount(), d.depots(), d.topologies(), d.pstates(), d.dependencies(), d.jarName(),
                        d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism()))),
                        "describes module ../modbackup-evil, not " + A + ": it was forged"),
                new Damage("tamper.jar-name", t -> t.resealModule(m -> withDescriptor(m, d -> new ModuleDescriptor(d.name(),
                        d.taskCount(), d.depots(), d.topologies(), d.pstates(), d.dependencies(), "../../modbackup-evil.jar",
                        d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism()))),
                        "has jar name '../../modbackup-evil.jar' is not a single path segment"),
                new Damage("tamper.jar-file-name", t -> t.resealModule(m -> withJar(m,
                        copy(m.jar(), "lib/modbackup-evil.jar", m.jar().size(), m.jar().chunks(), m.jar().inline()))),
                        "has jar file name 'lib/modbackup-evil.jar' is not a single path segment"),
                new Damage("tamper.depot-name", t -> t.resealModule(m -> withDescriptor(m, d -> new ModuleDescriptor(d.name(),
                        d.taskCount(), List.of(new DepotSpec("../modbackup-evil")), d.topologies(), d.pstates(), d.dependencies(),
                        d.jarName(), d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism()))),
                        "has depot name '../modbackup-evil' is not a single path segment"),
                new Damage("tamper.topology-name", t -> t.resealModule(m -> withDescriptor(m, d -> new ModuleDescriptor(d.name(),
                        d.taskCount(), d.depots(), List.of(new TopologySpec("/tmp/modbackup-evil", d.topologies().get(0).kind(),
                        d.topologies().get(0).subscriptions())), d.pstates(), d.dependencies(), d.jarName(), d.configOverrides(),
                        d.dynamicOptions(), d.running(), d.parallelism()))),
                        "has topology name '/tmp/modbackup-evil' is not a single path segment"),
                new Damage("tamper.pstate-name", t -> t.resealModule(m -> withDescriptor(m, d -> new ModuleDescriptor(d.name(),
                        d.taskCount(), d.depots(), d.topologies(), List.of(new PStateSpec("..", d.pstates().get(0).topology())),
                        d.dependencies(), d.jarName(), d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism()))),
                        "has PState name '..' is not a single path segment"));
    }

    private static ModuleManifest withIdentity(ModuleManifest m, String backupId, String module) {
        return new ModuleManifest(m.version(), backupId, module, m.clusterId(), m.createdMillis(), m.completedMillis(),
                m.restoreEpoch(), m.chunkSize(), m.descriptor(), m.commitIds(), m.jar(), m.tasks(), m.totals(), null);
    }

    private static ModuleManifest withDescriptor(ModuleManifest m, UnaryOperator<ModuleDescriptor> change) {
        return new ModuleManifest(m.version(), m.backupId(), m.module(), m.clusterId(), m.createdMillis(), m.completedMillis(),
                m.restoreEpoch(), m.chunkSize(), change.apply(m.descriptor()), m.commitIds(), m.jar(), m.tasks(), m.totals(),
                null);
    }

    @BeforeEach
    void setUp() throws Exception {
        f = new EngineFixture(dir);
        f.write(1200);
        backup = f.engine.backup(A);
        f.write(400);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damages")
    void damageIsReportedByDeepVerifyAndRefusedByRestoreBeforeLiveStateIsTouched(Damage damage) throws Exception {
        damage.mutation().apply(this);

        VerifyReport report = f.engine.verify(backup.backupId(), true);
        assertFalse(report.ok(), damage + " must fail deep verify");
        assertTrue(String.join("\n", report.problems()).contains(damage.expected()), damage + ": " + report.problems());

        EngineFixture.LiveState before = f.live();
        CorruptBackupException refused = assertThrows(CorruptBackupException.class, () -> f.engine.restore(backup.backupId()));
        assertTrue(refused.getMessage().contains(damage.expected()), damage + ": " + refused.getMessage());
        f.assertUntouched(before);
        assertEquals(List.of(), namesContaining(dir, "modbackup-evil"));
        assertFalse(Files.exists(evilAbsolutePath()), "nothing written at the absolute path");
    }

    /**
     * The paths under {@code root} whose name contains {@code part}; files that vanish during the walk (the
     * Supervisors delete replaced state in the background) are skipped.
     */
    private static List<Path> namesContaining(Path root, String part) throws java.io.IOException {
        List<Path> found = new java.util.ArrayList<>();
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes a) {
                if (d.getFileName().toString().contains(part)) {
                    found.add(d);
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a) {
                if (file.getFileName().toString().contains(part)) {
                    found.add(file);
                }
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, java.io.IOException e) throws java.io.IOException {
                if (e instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        return found;
    }

    /** An absolute path outside the cluster and the store, in this test's own directory. */
    private Path evilAbsolutePath() {
        return dir.resolve("outside").resolve("modbackup-evil").toAbsolutePath();
    }

    // ------------------------------------------------------------------ damage

    private void flipByte(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
    }

    private Path largestChunk() throws Exception {
        try (Stream<Path> blobs = Files.walk(dir.resolve("store/blobs"))) {
            return blobs.filter(Files::isRegularFile).max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
    }

    private Path moduleManifestFile() {
        return dir.resolve("store").resolve(StoreLayout.moduleManifestKey(BackupId.parse(backup.backupId())));
    }

    private int inlined(TaskManifest task) {
        return indexOf(task, e -> e.inline() != null && e.size() > 0);
    }

    private int chunked(TaskManifest task) {
        return indexOf(task, e -> !e.chunks().isEmpty());
    }

    private static int indexOf(TaskManifest task, java.util.function.Predicate<FileEntry> which) {
        for (int i = 0; i < task.files().size(); i++) {
            if (which.test(task.files().get(i))) {
                return i;
            }
        }
        throw new AssertionError("task " + task.task() + " has no such file: " + task.files());
    }

    private TaskManifest replaceFile(TaskManifest task, int index, UnaryOperator<FileEntry> change) {
        List<FileEntry> files = new ArrayList<>(task.files());
        files.set(index, change.apply(files.get(index)));
        return withFiles(task, files);
    }

    private static TaskManifest withFiles(TaskManifest task, List<FileEntry> files) {
        return new TaskManifest(task.version(), task.module(), task.backupId(), task.task(), files, task.depotEndOffsets(),
                task.processedOffsets());
    }

    private static FileEntry copy(FileEntry e, String path, long size, List<String> chunks, String inline) {
        return new FileEntry(path, e.kind(), size, e.modifiedMillis(), e.sha256(), chunks, inline);
    }

    private static String flipInline(String base64) {
        byte[] data = Base64.getDecoder().decode(base64);
        data[data.length / 2] ^= 0x01;
        return Base64.getEncoder().encodeToString(data);
    }

    private static ModuleManifest withTasks(ModuleManifest m, int taskCount) {
        var d = m.descriptor();
        var descriptor = new io.modbackup.api.runtime.ModuleDescriptor(d.name(), taskCount, d.depots(), d.topologies(),
                d.pstates(), d.dependencies(), d.jarName(), d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism());
        return new ModuleManifest(m.version(), m.backupId(), m.module(), m.clusterId(), m.createdMillis(), m.completedMillis(),
                m.restoreEpoch(), m.chunkSize(), descriptor, m.commitIds(), m.jar(), m.tasks(), m.totals(), null);
    }

    private static ModuleManifest withTaskRefs(ModuleManifest m, List<TaskRef> refs) {
        return new ModuleManifest(m.version(), m.backupId(), m.module(), m.clusterId(), m.createdMillis(), m.completedMillis(),
                m.restoreEpoch(), m.chunkSize(), m.descriptor(), m.commitIds(), m.jar(), refs, m.totals(), null);
    }

    private static ModuleManifest withJar(ModuleManifest m, FileEntry jar) {
        return new ModuleManifest(m.version(), m.backupId(), m.module(), m.clusterId(), m.createdMillis(), m.completedMillis(),
                m.restoreEpoch(), m.chunkSize(), m.descriptor(), m.commitIds(), jar, m.tasks(), m.totals(), null);
    }

    /** Rewrites task manifest {@code index} and re-seals the module manifest over it, as a careful attacker would. */
    private void resealTask(int index, UnaryOperator<TaskManifest> change) throws Exception {
        TaskRef ref = backup.tasks().get(index);
        // Read with its segments; written back with its files inline (format 1's form, still read).
        TaskManifest resolved = new io.modbackup.core.store.BackupStore(io.modbackup.core.store.SealingProvider.reader(f.store(), Runnable::run), codec, Runnable::run).taskManifest(backup, ref);
        TaskManifest task = new TaskManifest(resolved.version(), resolved.module(), resolved.backupId(), resolved.task(),
                resolved.files(), resolved.depotEndOffsets(), resolved.processedOffsets());
        byte[] bytes = codec.encode(change.apply(task));
        f.put(ref.key(), bytes);
        List<TaskRef> refs = new ArrayList<>(backup.tasks());
        refs.set(index, new TaskRef(ref.task(), ref.key(), Hashing.sha256Hex(bytes), ref.files(), ref.bytes()));
        resealModule(m -> new ModuleManifest(m.version(), m.backupId(), m.module(), m.clusterId(), m.createdMillis(),
                m.completedMillis(), m.restoreEpoch(), m.chunkSize(), m.descriptor(), m.commitIds(), m.jar(), refs, m.totals(), null));
    }

    private void resealModule(UnaryOperator<ModuleManifest> change) throws Exception {
        byte[] bytes = codec.encode(change.apply(backup));
        f.put(StoreLayout.moduleManifestKey(BackupId.parse(backup.backupId())), bytes);
        assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("\"checksum\""));
    }
}
