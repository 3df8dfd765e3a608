package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.ModuleManifest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a restore stages is the bytes the cut captured, not only what the manifest says: a runtime
 * that records the SHA-256 of every file of every cut when it is captured (its captured length, while
 * the module keeps writing) and, when the engine installs a restore, of every staged file; the two
 * must be equal for every task, file by file.
 */
class RestoredBytesTest {
    @TempDir
    Path dir;
    private EngineFixture f;

    @BeforeEach
    void setUp() {
        f = new EngineFixture(dir);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void everyStagedFileHasTheBytesTheCutCaptured() throws Exception {
        Recording runtime = new Recording(f.cluster, dir.resolve("cluster"));
        try (BackupEngine engine = new BackupEngine(runtime, f.provider, f.options)) {
            f.write(1500);
            f.workload.start(List.of(new DepotRef(A, "*events")), 10, Duration.ofMillis(3));
            ModuleManifest first = engine.backup(A);
            runtime.committed(first.backupId());
            ModuleManifest second = engine.backup(A);
            runtime.committed(second.backupId());
            f.workload.close();
            for (ModuleManifest backup : List.of(first, second)) {
                engine.restore(backup.backupId());
                Map<Integer, Map<String, String>> captured = runtime.captured.get(runtime.cutOf.get(backup.backupId()));
                assertEquals(backup.tasks().size(), captured.size(), "every task's capture was recorded");
                assertTrue(captured.values().stream().mapToInt(Map::size).sum() > 20, "with its files: " + captured);
                assertEquals(captured, runtime.staged.get(backup.backupId()),
                        backup.backupId() + ": every staged file is the bytes its cut captured, and no other file is staged");
                f.checkLive(A, "restored-" + backup.backupId());
            }
        }
    }

    /** Digest of the first {@code size} bytes of {@code file}. */
    private static String sha256(Path file, long size) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = Hashing.sha256();
            byte[] buffer = new byte[64 * 1024];
            long left = size;
            for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; left -= n) {
                digest.update(buffer, 0, n);
            }
            if (left != 0) {
                throw new IOException(file + " is shorter than " + size + " bytes");
            }
            return java.util.HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The simulated cluster, recording what each cut captured and what each restore staged. */
    private static final class Recording implements ClusterRuntime {
        private final ClusterRuntime delegate;
        /** Per cut ID: task to path to SHA-256 of the captured bytes. */
        final Map<String, Map<Integer, Map<String, String>>> captured = new HashMap<>();
        /** Per backup ID restored: task to path to SHA-256 of the staged file. */
        final Map<String, Map<Integer, Map<String, String>>> staged = new HashMap<>();
        /** Backup ID to the cut it was taken from, learnt from the cut captured just before it committed. */
        final Map<String, String> cutOf = new HashMap<>();
        private String lastCut;

        private final Path root;

        Recording(ClusterRuntime delegate, Path root) {
            this.delegate = delegate;
            this.root = root;
        }

        @Override
        public synchronized CutDescriptor captureCut(String module) {
            CutDescriptor cut = delegate.captureCut(module);
            Map<Integer, Map<String, String>> tasks = new TreeMap<>();
            for (TaskCut task : cut.tasks()) {
                Map<String, String> files = new TreeMap<>();
                for (CapturedFile file : delegate.supervisor(task.supervisorId()).cutFiles(module, cut.cutId(), task.task())) {
                    files.put(file.path(), sha256(file.source(), file.size()));
                }
                tasks.put(task.task(), files);
            }
            captured.put(cut.cutId(), tasks);
            lastCut = cut.cutId();
            return cut;
        }

        @Override
        public synchronized RestoreMarker installRestore(RestoreRequest request) {
            Map<Integer, Map<String, String>> tasks = new TreeMap<>();
            for (Map.Entry<Integer, String> placed : request.placement().entrySet()) {
                // The simulator's layout (asking the runtime for the staging directory would start it afresh).
                Path staging = root.resolve(placed.getValue()).resolve("staging").resolve(request.descriptor().name())
                        .resolve(request.restoreId()).resolve("task-" + placed.getKey());
                Map<String, String> files = new TreeMap<>();
                try (Stream<Path> walk = Files.walk(staging)) {
                    for (Path file : walk.filter(Files::isRegularFile).toList()) {
                        files.put(staging.relativize(file).toString().replace('\\', '/'), sha256(file, Files.size(file)));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                tasks.put(placed.getKey(), files);
            }
            staged.put(request.backupId(), tasks);
            return delegate.installRestore(request);
        }

        @Override
        public synchronized void releaseCut(String module, String cutId) {
            delegate.releaseCut(module, cutId);
        }

        /** Called by the test after each backup: the backup just committed was taken from the last cut. */
        synchronized void committed(String backupId) {
            cutOf.put(backupId, lastCut);
        }

        @Override
        public String clusterId() {
            return delegate.clusterId();
        }

        @Override
        public List<String> moduleNames() {
            return delegate.moduleNames();
        }

        @Override
        public Optional<ModuleDescriptor> describe(String module) {
            return delegate.describe(module);
        }

        @Override
        public Path moduleJar(String module) {
            return delegate.moduleJar(module);
        }

        @Override
        public SupervisorRuntime supervisor(String supervisorId) {
            return delegate.supervisor(supervisorId);
        }

        @Override
        public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
            return delegate.placeRestore(descriptor, parallelism);
        }

        @Override
        public Optional<RestoreMarker> restoreMarker(String module) {
            return delegate.restoreMarker(module);
        }
    }
}
