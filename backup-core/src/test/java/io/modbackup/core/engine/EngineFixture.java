package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A cluster with both sample modules, a local store behind a fault injector, and an engine. */
final class EngineFixture implements AutoCloseable {
    static final String A = SampleModules.MODULE_A;
    static final String B = SampleModules.MODULE_B;
    static final int CHUNK = 64 * 1024;

    final Path dir;
    final SimulatedCluster cluster;
    final FaultInjectingProvider provider;
    final BackupEngine engine;
    final Workload workload;
    final BackupOptions options;

    EngineFixture(Path dir) {
        this(dir, BackupOptions.defaults().withChunkSize(CHUNK));
    }

    /** As {@link #EngineFixture(Path)}, with an engine of {@code options}. */
    EngineFixture(Path dir, BackupOptions options) {
        this.options = options;
        this.dir = dir;
        cluster = new SimulatedCluster("test-cluster", dir.resolve("cluster"), 2, 256 * 1024,
                List.of(SampleModules.moduleA(), SampleModules.moduleB()));
        cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
        cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
        provider = new FaultInjectingProvider(new LocalDirectoryProvider(dir.resolve("store").toString()), 1);
        engine = new BackupEngine(cluster, provider, options);
        workload = new Workload(cluster, 11, 2000, 100);
    }

    BackupProvider store() {
        return provider.delegate();
    }

    /** The store read as the engine reads it, with the engine's key: manifests and chunks opened. */
    BackupStore reader() {
        return new BackupStore(new io.modbackup.core.store.SealingProvider(store(), io.modbackup.core.seal.Compression.NONE,
                options.masterKey(), Runnable::run), new ManifestCodec(), Runnable::run);
    }

    void write(int entries) throws InterruptedException {
        workload.appendBatch(A, "*events", entries);
        workload.appendBatch(B, "*clicks", entries / 4);
        if (!cluster.awaitCaughtUp(A, 60_000) || !cluster.awaitCaughtUp(B, 60_000)) {
            throw new AssertionError("topologies did not catch up");
        }
    }

    /** Checks a module's current state with the oracle through a fresh cut. */
    ConsistencyOracle.Report checkLive(String module, String name) {
        return cluster.checkLive(module, dir.resolve("check-" + name));
    }

    /**
     * Stores a genuine-looking backup of module A made just after {@code manifest}, with the same files
     * but {@code descriptor}: sealed with the store's own key, as the engine would have written it.
     */
    io.modbackup.core.store.BackupId storeWithDescriptor(ModuleManifest manifest,
                                                       io.modbackup.api.runtime.ModuleDescriptor descriptor) {
        io.modbackup.core.store.BackupId id = new io.modbackup.core.store.BackupId(A, manifest.createdMillis() + 1, 0);
        ModuleManifest other = new ModuleManifest(manifest.version(), id.toString(), A, manifest.clusterId(),
                manifest.createdMillis() + 1, manifest.completedMillis(), manifest.restoreEpoch(), manifest.chunkSize(),
                descriptor, manifest.commitIds(), manifest.jar(), manifest.tasks(), manifest.totals(), null);
        byte[] bytes = new ManifestCodec().encode(other);
        new io.modbackup.core.store.SealingProvider(store(), io.modbackup.core.seal.Compression.DEFAULT, options.masterKey(),
                Runnable::run).putObject(io.modbackup.core.store.StoreLayout.moduleManifestKey(id),
                new java.io.ByteArrayInputStream(bytes), bytes.length).join();
        return id;
    }

    /** Writes {@code bytes} at {@code key} straight into the store, as someone tampering with it would. */
    void put(String key, byte[] bytes) throws Exception {
        store().putObject(key, new java.io.ByteArrayInputStream(bytes), bytes.length).get();
    }

    /** Each task's end offset of module A's depot. */
    Map<Integer, Long> depotEnds() {
        return cluster.depotEndOffsets(A, "*events");
    }

    /** Each task's end offset of module A's depot in a backup, from its task manifests. */
    Map<Integer, Long> backupEnds(String backupId) {
        return backupEnds(backupId, "*events");
    }

    /** Each task's end offset of {@code depot} in a backup, from its task manifests. */
    Map<Integer, Long> backupEnds(String backupId, String depot) {
        ModuleManifest manifest = engine.info(backupId);
        BackupStore backups = reader();
        Map<Integer, Long> ends = new java.util.TreeMap<>();
        for (TaskRef ref : manifest.tasks()) {
            ends.put(ref.task(), backups.taskManifest(manifest, ref).depotEndOffsets().get(depot));
        }
        return ends;
    }

    /**
     * Restores {@code backupId} of module A, checking it at the moment before it goes live: each staged
     * task file is hashed and compared with its task manifest entry (size and SHA-256), and no file is
     * staged that the manifest does not list; then, once installed, that every task's depot ends where
     * the backup's did. A restore that fails before its install is rethrown as it is.
     */
    io.modbackup.core.engine.RestoreResult restoreChecked(String backupId) {
        return restoreChecked(backupId, "*events");
    }

    /** As {@link #restoreChecked(String)}, for the backup's module, whose depot {@code depot} is compared. */
    io.modbackup.core.engine.RestoreResult restoreChecked(String backupId, String depot) {
        return restoreChecked(engine, backupId, depot);
    }

    /** As {@link #restoreChecked(String, String)}, restored by {@code engine}. */
    io.modbackup.core.engine.RestoreResult restoreChecked(BackupEngine engine, String backupId, String depot) {
        ModuleManifest manifest = engine.info(backupId);
        String module = manifest.module();
        java.util.concurrent.atomic.AtomicInteger checked = new java.util.concurrent.atomic.AtomicInteger(-1);
        cluster.onInstallStep(step -> {
            if (step.equals("decision-written")) {
                checked.set(compareStagedWithManifest(manifest));
            }
        });
        try {
            io.modbackup.core.engine.RestoreResult result = engine.restore(backupId);
            assertEquals(manifest.totals().files() - 1, checked.get(), "every staged file of every task was checked");
            assertEquals(backupEnds(backupId, depot), cluster.depotEndOffsets(module, depot),
                    "every task's depot ends where the backup's did");
            return result;
        } finally {
            cluster.onInstallStep(step -> { });
        }
    }

    private int compareStagedWithManifest(ModuleManifest manifest) {
        BackupStore backups = reader();
        int files = 0;
        for (var supervisor : cluster.supervisors()) {
            Path moduleStaging = supervisor.root().resolve("staging").resolve(manifest.module());
            if (!java.nio.file.Files.isDirectory(moduleStaging)) {
                continue;
            }
            try (var restores = java.nio.file.Files.list(moduleStaging)) {
                for (Path restore : restores.toList()) {
                    try (var tasks = java.nio.file.Files.list(restore)) {
                        for (Path taskDir : tasks.toList()) {
                            files += compareTask(backups, manifest, taskDir);
                        }
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return files;
    }

    /** Compares one staged task directory with the task manifest of the backup being restored. */
    private int compareTask(BackupStore backups, ModuleManifest manifest, Path taskDir) throws java.io.IOException {
        int task = Integer.parseInt(taskDir.getFileName().toString().substring("task-".length()));
        TaskRef ref = manifest.tasks().stream().filter(t -> t.task() == task).findFirst().orElseThrow();
        Map<String, io.modbackup.core.manifest.FileEntry> expected = new java.util.TreeMap<>();
        backups.taskManifest(manifest, ref).files().forEach(e -> expected.put(e.path(), e));
        Map<String, Path> staged = new java.util.TreeMap<>();
        try (var walk = java.nio.file.Files.walk(taskDir)) {
            walk.filter(java.nio.file.Files::isRegularFile)
                    .forEach(file -> staged.put(taskDir.relativize(file).toString().replace('\\', '/'), file));
        }
        assertEquals(expected.keySet(), staged.keySet(), "task " + task + " stages exactly the manifest's files");
        for (var entry : expected.values()) {
            byte[] bytes = java.nio.file.Files.readAllBytes(staged.get(entry.path()));
            assertEquals(entry.size(), bytes.length, entry.path() + " of task " + task + ": size");
            assertEquals(entry.sha256(), backups.provider().contentHash().of(bytes), entry.path() + " of task " + task
                    + ": content hash");
        }
        return expected.size();
    }

    /** Module A still runs on the state it had, nothing was installed, and its state passes the oracle. */
    /**
     * The live state once both modules settled: module A's depot end offsets, and every file of every
     * module on every Supervisor by path, with its SHA-256 (RocksDB's info logs aside, which are not state).
     */
    record LiveState(Map<Integer, Long> depotEnds, Map<String, String> files) {
    }

    LiveState live() throws InterruptedException {
        assertTrue(cluster.awaitSettled(A, 60_000) && cluster.awaitSettled(B, 60_000), "the modules settled");
        java.util.TreeMap<String, String> files = new java.util.TreeMap<>();
        Path root = dir.resolve("cluster");
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(root)) {
            for (Path file : walk.filter(java.nio.file.Files::isRegularFile).toList()) {
                Path relative = root.relativize(file);
                if (relative.getNameCount() > 2 && relative.getName(1).toString().equals("state")
                        && !file.getFileName().toString().startsWith("LOG")) {
                    files.put(relative.toString(), io.modbackup.core.hash.Hashing.sha256Hex(java.nio.file.Files.readAllBytes(file)));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(files.keySet().stream().anyMatch(path -> path.contains(A)), "module A's live files were found: " + files.keySet());
        return new LiveState(depotEnds(), files);
    }

    /** Checks that the live state is {@code before}, byte for byte, and that nothing was installed. */
    void assertUntouched(LiveState before) throws InterruptedException {
        assertTrue(cluster.describe(A).orElseThrow().running(), "the module keeps running");
        assertTrue(cluster.restoreMarker(A).isEmpty(), "nothing was installed");
        LiveState now = live();
        assertEquals(before.depotEnds(), now.depotEnds(), "live depots are as they were");
        assertEquals(before.files(), now.files(), "every live file is as it was");
        checkLive(A, "untouched-" + System.nanoTime());
    }

    @Override
    public void close() {
        workload.close();
        engine.close();
        cluster.close();
        provider.close();
    }
}
