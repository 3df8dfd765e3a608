package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.seal.StoreFormat;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import io.modbackup.sim.WorkloadEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encrypted store end to end, on real files: what a bucket reader sees, what a bucket writer's
 * changes do, what a wrong or missing key does, key rotation, and a store of format 1 taking new,
 * compressed backups.
 */
class StoreEncryptionTest {
    private static final String MARKER = "PLAINTEXT-MARKER-7f3c2a";
    private static final byte[] MAGIC = {(byte) 0x89, 'M', 'B', 'K', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path dir;
    private EngineFixture f;
    private final List<BackupEngine> engines = new ArrayList<>();

    private static MasterKeyProvider key(int seed) {
        byte[] material = new byte[32];
        new Random(seed).nextBytes(material);
        return new LocalMasterKey(material);
    }

    private static BackupOptions options(MasterKeyProvider key) {
        return BackupOptions.defaults().withChunkSize(CHUNK).withMasterKey(key);
    }

    private BackupEngine engine(BackupOptions options) {
        BackupEngine engine = new BackupEngine(f.cluster, f.provider, options);
        engines.add(engine);
        return engine;
    }

    @AfterEach
    void tearDown() {
        engines.forEach(BackupEngine::close);
        if (f != null) {
            f.close();
        }
    }

    /** Writes entries, some of whose keys carry the marker, and waits for the topologies. */
    private void writeWithMarker() throws Exception {
        f.write(1500);
        for (int i = 0; i < 20; i++) {
            f.cluster.append(A, "*events", new WorkloadEntry(MARKER + "-" + i, 1, "x".repeat(40)));
        }
        assertTrue(f.cluster.awaitCaughtUp(A, 60_000));
    }

    /** Every stored file, by key, with its bytes. */
    private Map<String, byte[]> storedObjects() throws IOException {
        Path root = dir.resolve("store");
        Map<String, byte[]> objects = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                objects.put(root.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
            }
        }
        return objects;
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private List<String> objectsHolding(byte[] marker) throws IOException {
        return storedObjects().entrySet().stream().filter(e -> contains(e.getValue(), marker)).map(Map.Entry::getKey).toList();
    }

    private static final String OPTION_MARKER = "OPTION-MARKER-91b2e4";

    /**
     * What docs/security.md says a bucket reader cannot learn, each as bytes to search the store for: a
     * depot entry (and the PState keys built from it), a file path, a dynamic option's value (the module
     * descriptor, as config overrides are), and the jar's content.
     */
    private Map<String, byte[]> secrets() throws IOException {
        byte[] jar = Files.readAllBytes(f.cluster.moduleJar(A));
        // A small jar is inlined in the module manifest, as Base64: a slice at a multiple of 3 bytes encodes
        // to a substring of the whole file's encoding.
        int start = jar.length / 2 - (jar.length / 2) % 3;
        byte[] slice = java.util.Arrays.copyOfRange(jar, start, start + 33);
        boolean inlined = jar.length <= BackupOptions.defaults().inlineThreshold();
        return Map.of("a depot entry", MARKER.getBytes(StandardCharsets.UTF_8),
                "a file path", "pstates/".getBytes(StandardCharsets.UTF_8),
                "a dynamic option", OPTION_MARKER.getBytes(StandardCharsets.UTF_8),
                "the jar", inlined ? java.util.Base64.getEncoder().encode(slice) : slice);
    }

    private static boolean sealed(byte[] bytes, int flag) {
        return bytes.length > MAGIC.length + 2 && java.util.Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                && (bytes[MAGIC.length + 1] & flag) != 0;
    }

    /** A chunk of a backup's task 0 that only a file of several kilobytes reaches (not the jar's). */
    private FileEntry chunkedFile(ModuleManifest manifest) {
        return f.reader().taskManifest(manifest, manifest.tasks().get(0)).files().stream()
                .filter(file -> !file.chunks().isEmpty()).findFirst().orElseThrow();
    }

    @Test
    void aBucketReaderFindsNoPlaintextAndNoContentHashInAnEncryptedStore() throws Exception {
        // The search can fail: in a store neither compressed nor encrypted the marker is plainly there.
        f = new EngineFixture(dir, BackupOptions.defaults().withChunkSize(CHUNK).withCompression(Compression.NONE));
        writeWithMarker();
        f.cluster.setDynamicOption(A, "backup.note", OPTION_MARKER);
        f.engine.backup(A);
        for (Map.Entry<String, byte[]> secret : secrets().entrySet()) {
            assertFalse(objectsHolding(secret.getValue()).isEmpty(), secret.getKey() + " is found in a plain store");
        }
        f.close();
        f = null;
        Path plainDir = dir.resolve("plain");
        Files.move(dir.resolve("store"), plainDir);
        Files.move(dir.resolve("cluster"), dir.resolve("plain-cluster"));

        MasterKeyProvider key = key(1);
        // Uncompressed, so that only encryption can hide what the plain store showed.
        f = new EngineFixture(dir, options(key).withCompression(Compression.NONE));
        writeWithMarker();
        f.cluster.setDynamicOption(A, "backup.note", OPTION_MARKER);
        ModuleManifest manifest = f.engine.backup(A);
        assertEquals(OPTION_MARKER, manifest.descriptor().dynamicOptions().get("backup.note"), "the option is backed up");
        for (Map.Entry<String, byte[]> secret : secrets().entrySet()) {
            assertEquals(List.of(), objectsHolding(secret.getValue()), "no stored object holds " + secret.getKey());
        }

        Map<String, byte[]> objects = storedObjects();
        SealingProvider keyed = new SealingProvider(f.store(), Compression.NONE, key, Runnable::run);
        int chunks = 0;
        for (Map.Entry<String, byte[]> object : objects.entrySet()) {
            String name = object.getKey();
            if (SealingProvider.isSealed(name)) {
                assertTrue(sealed(object.getValue(), 2), name + " is stored encrypted");
            }
            if (name.startsWith(StoreLayout.BLOBS)) {
                chunks++;
                byte[] content;
                try (InputStream in = keyed.getObject(name).join()) {
                    content = in.readAllBytes();
                }
                String chunkName = StoreLayout.chunkOf(name);
                assertNotEquals(Hashing.sha256Hex(content), chunkName, "a chunk's name is not the SHA-256 of its content");
                assertEquals(keyed.contentHash().of(content), chunkName, "it is the keyed hash of it");
            }
        }
        assertTrue(chunks > 5, "chunks were checked: " + chunks);
        StoreFormat format = f.engine.storeFormat().orElseThrow();
        assertEquals(StoreFormat.CURRENT, format.format());
        assertEquals(key.keyId(), format.encryption().keyId());

        assertTrue(f.engine.verify(manifest.backupId(), true).ok());
        f.write(300);
        f.restoreChecked(manifest.backupId());
    }

    @Test
    void aFlippedByteInAnEncryptedChunkOrManifestIsFoundAndRefusedBeforeLiveStateIsTouched() throws Exception {
        f = new EngineFixture(dir, options(key(2)));
        f.write(1500);
        ModuleManifest manifest = f.engine.backup(A);
        String chunk = StoreLayout.chunkKey(chunkedFile(manifest).chunks().get(0));
        TaskManifest header = f.reader().readTaskHeader(manifest.tasks().get(1), manifest.chunkSize(), "task 1").join();
        List<String> damaged = List.of(chunk, StoreLayout.moduleManifestKey(BackupId.parse(manifest.backupId())),
                manifest.tasks().get(1).key(), StoreLayout.segmentKey(header.segments().get(0).sha256()));
        f.write(200);
        EngineFixture.LiveState endsBefore = f.live();
        for (String key : damaged) {
            Path file = dir.resolve("store").resolve(key);
            byte[] original = Files.readAllBytes(file);
            byte[] flipped = original.clone();
            flipped[flipped.length / 2] ^= 0x01;
            Files.write(file, flipped);
            VerifyReport deep = f.engine.verify(manifest.backupId(), true);
            assertFalse(deep.ok(), key + ": deep verify finds the flipped byte");
            assertTrue(deep.problems().toString().contains("failed authentication"), deep.problems().toString());
            CorruptBackupException refused = assertThrows(CorruptBackupException.class, () -> f.engine.restore(manifest.backupId()),
                    key + ": restore refuses");
            assertTrue(refused.getMessage().contains("failed authentication"), refused.getMessage());
            f.assertUntouched(endsBefore);
            Files.write(file, original);
        }
        // A bucket writer swapping two intact chunks is caught too: each is bound to its own name.
        String other = StoreLayout.chunkKey(chunkedFile(manifest).chunks().size() > 1 ? chunkedFile(manifest).chunks().get(1)
                : f.reader().taskManifest(manifest, manifest.tasks().get(2)).files().stream()
                .filter(file -> !file.chunks().isEmpty()).findFirst().orElseThrow().chunks().get(0));
        assertNotEquals(chunk, other);
        Path file = dir.resolve("store").resolve(chunk);
        Files.copy(dir.resolve("store").resolve(other), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        VerifyReport swapped = f.engine.verify(manifest.backupId(), true);
        assertEquals(1, swapped.problems().size(), swapped.problems().toString());
        assertTrue(swapped.problems().get(0).contains(StoreLayout.chunkOf(chunk)) && swapped.problems().get(0)
                .contains("failed authentication"), swapped.problems().toString());
    }

    @Test
    void aWrongOrMissingKeyFailsWithOneClearLineAndTouchesNothing() throws Exception {
        MasterKeyProvider right = key(3);
        MasterKeyProvider wrong = key(4);
        f = new EngineFixture(dir, options(right));
        f.write(500);
        ModuleManifest manifest = f.engine.backup(A);
        f.write(100);
        Map<String, byte[]> before = storedObjects();

        BackupEngine withWrongKey = engine(options(wrong));
        BackupException e = assertThrows(BackupException.class, () -> withWrongKey.backup(A));
        assertEquals(Problem.WRONG_KEY, e.problem());
        assertEquals("backup.encryption.key (master key " + wrong.keyId() + ") does not open the backup store, whose data"
                + " key is wrapped by master key " + right.keyId(), e.getMessage());
        assertEquals(Problem.WRONG_KEY, assertThrows(BackupException.class, () -> withWrongKey.info(manifest.backupId())).problem());
        assertEquals(Problem.WRONG_KEY, assertThrows(BackupException.class, () -> withWrongKey.restore(manifest.backupId())).problem());

        BackupEngine withoutKey = engine(options(null));
        BackupException missing = assertThrows(BackupException.class, () -> withoutKey.backup(A));
        assertEquals(Problem.KEY_REQUIRED, missing.problem());
        assertEquals("the backup store is encrypted (master key " + right.keyId() + "); set backup.encryption.key to that"
                + " key: file:<path>, env:<VARIABLE> or a key provider class", missing.getMessage());
        assertEquals(Problem.KEY_REQUIRED, assertThrows(BackupException.class, () -> withoutKey.gc(false)).problem());

        Map<String, byte[]> after = storedObjects();
        assertEquals(before.keySet(), after.keySet(), "nothing was written or deleted");
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " is unchanged"));
        assertTrue(f.engine.verify(manifest.backupId(), true).ok());
    }

    @Test
    void aKeyForAStoreThatIsNotEncryptedIsRefusedBeforeAnythingIsWritten() throws Exception {
        f = new EngineFixture(dir);
        f.write(300);
        ModuleManifest manifest = f.engine.backup(A);
        Map<String, byte[]> before = storedObjects();
        MasterKeyProvider key = key(5);
        BackupEngine encrypting = engine(options(key));
        BackupException e = assertThrows(BackupException.class, () -> encrypting.backup(A));
        assertEquals(Problem.STORE_NOT_ENCRYPTED, e.problem());
        assertTrue(e.getMessage().startsWith("backup.encryption.key is set, but the backup store holds unencrypted backups"),
                e.getMessage());
        assertEquals(Problem.STORE_NOT_ENCRYPTED, assertThrows(BackupException.class,
                () -> encrypting.info(manifest.backupId())).problem());
        assertEquals(before.keySet(), storedObjects().keySet(), "nothing was written");
    }

    @Test
    void rotatingTheMasterKeyRewrapsTheDataKeyOnlyAndTheNewKeyRestores() throws Exception {
        MasterKeyProvider first = key(6);
        MasterKeyProvider second = key(7);
        f = new EngineFixture(dir, options(first));
        f.write(800);
        ModuleManifest older = f.engine.backup(A);
        Map<Integer, Long> olderEnds = f.backupEnds(older.backupId());
        Map<String, byte[]> before = storedObjects();

        StoreFormat rotated = f.engine.rotateKey(second);
        assertEquals(second.keyId(), rotated.encryption().keyId());
        assertEquals(first.keyId(), rotated.encryption().previousKeyId());
        Map<String, byte[]> after = storedObjects();
        List<String> changed = before.keySet().stream().filter(k -> !java.util.Arrays.equals(before.get(k), after.get(k))).toList();
        assertEquals(List.of(StoreLayout.FORMAT_KEY), changed, "only the format record was rewritten");
        assertEquals(before.keySet(), after.keySet());
        assertThrows(IllegalArgumentException.class, () -> f.engine.rotateKey(second), "rotating to the same key is refused");

        f.write(300);
        ModuleManifest newer = f.engine.backup(A);
        assertTrue(newer.totals().filesReused() > 0, "the engine that rotated keeps its data key and deduplicates");

        BackupEngine withOldKey = engine(options(first));
        BackupException stale = assertThrows(BackupException.class, () -> withOldKey.info(older.backupId()));
        assertEquals(Problem.WRONG_KEY, stale.problem());
        assertTrue(stale.getMessage().contains("the store's key was rotated away from " + first.keyId()), stale.getMessage());

        BackupEngine withNewKey = engine(options(second));
        assertTrue(withNewKey.verify(older.backupId(), true).ok());
        assertTrue(withNewKey.verify(newer.backupId(), true).ok());
        f.write(100);
        RestoreResult restored = withNewKey.restore(older.backupId());
        assertEquals(older.backupId(), restored.backupId());
        assertEquals(olderEnds, f.depotEnds(), "the restored depots end where the old backup's did");
        f.checkLive(A, "after-rotation");
    }

    @Test
    void workersInEveryProcessOpenTheStoreWithTheirOwnKey() throws Exception {
        MasterKeyProvider key = key(8);
        f = new EngineFixture(dir, options(key));
        f.write(600);
        // Each Supervisor's worker loads the provider and the key itself, as a Supervisor process does.
        Map<String, SupervisorWorker> workers = new java.util.concurrent.ConcurrentHashMap<>();
        BackupEngine distributed = new BackupEngine(f.cluster, f.provider, options(key), id -> workers.computeIfAbsent(id,
                s -> new SupervisorWorker(f.cluster.supervisor(s), f.store(), options(key))));
        engines.add(distributed);
        ModuleManifest manifest;
        try {
            manifest = distributed.backup(A);
            assertTrue(distributed.verify(manifest.backupId(), true).ok());
            f.write(100);
            distributed.restore(manifest.backupId());
            assertEquals(f.backupEnds(manifest.backupId()), f.depotEnds());
        } finally {
            workers.values().forEach(SupervisorWorker::close);
        }
        // A Supervisor configured without the key cannot take part: the backup fails, naming the key.
        Map<String, SupervisorWorker> keyless = new java.util.concurrent.ConcurrentHashMap<>();
        BackupEngine halfConfigured = new BackupEngine(f.cluster, f.provider, options(key).withTaskDeadline(
                java.time.Duration.ofMinutes(1), 1), id -> keyless.computeIfAbsent(id,
                s -> new SupervisorWorker(f.cluster.supervisor(s), f.store(), options(null))));
        engines.add(halfConfigured);
        try {
            RuntimeException e = assertThrows(RuntimeException.class, () -> halfConfigured.backup(A));
            assertTrue(String.valueOf(e.getMessage()).contains("the backup store is encrypted (master key " + key.keyId()),
                    e.toString());
        } finally {
            keyless.values().forEach(SupervisorWorker::close);
        }
        assertEquals(List.of(manifest.backupId()), f.engine.list(A, null, 10).backups().stream()
                .map(BackupSummary::backupId).toList(), "the failed backup was never committed");
    }

    @Test
    void aStoreOfFormatOneTakesNewCompressedBackupsAndBothRestore() throws Exception {
        // Format 1, as modbackup wrote it before format records: plain chunks, plain JSON, no format.json.
        f = new EngineFixture(dir, BackupOptions.defaults().withChunkSize(CHUNK).withCompression(Compression.NONE));
        f.write(1000);
        ModuleManifest old = f.engine.backup(A);
        Files.delete(dir.resolve("store").resolve(StoreLayout.FORMAT_KEY));
        Map<String, byte[]> formatOne = storedObjects();
        for (Map.Entry<String, byte[]> object : formatOne.entrySet()) {
            if (object.getKey().startsWith(StoreLayout.BLOBS)) {
                assertEquals(StoreLayout.chunkOf(object.getKey()), Hashing.sha256Hex(object.getValue()),
                        object.getKey() + " is stored as its plain bytes");
            } else if (object.getKey().startsWith(StoreLayout.BACKUPS) || object.getKey().startsWith(StoreLayout.SEGMENTS)) {
                assertEquals('{', (char) object.getValue()[0], object.getKey() + " is plain JSON");
            }
        }

        BackupEngine upgraded = engine(BackupOptions.defaults().withChunkSize(CHUNK));
        assertEquals(old.backupId(), upgraded.list(A, null, 10).backups().get(0).backupId());
        assertTrue(upgraded.verify(old.backupId(), true).ok());
        assertTrue(upgraded.storeFormat().isEmpty(), "reading does not write the format record");
        f.write(800);
        ModuleManifest fresh = upgraded.backup(A);
        assertTrue(fresh.totals().filesReused() > 0, "the new backup reuses the old one's plain chunks");
        StoreFormat format = upgraded.storeFormat().orElseThrow();
        assertEquals(StoreFormat.CURRENT, format.format());
        assertFalse(format.encrypted());
        Map<String, byte[]> now = storedObjects();
        long compressedChunks = now.entrySet().stream().filter(e -> e.getKey().startsWith(StoreLayout.BLOBS)
                && !formatOne.containsKey(e.getKey()) && sealed(e.getValue(), 1)).count();
        assertTrue(compressedChunks > 0, "the new backup's chunks are compressed");
        formatOne.forEach((k, v) -> {
            if (now.containsKey(k) && !k.startsWith(StoreLayout.INDEX)) {
                assertArrayEquals(v, now.get(k), k + " of format 1 was left as it was");
            }
        });

        assertTrue(upgraded.verify(fresh.backupId(), false).ok(), "a plain verify reads compressed chunks' headers");
        assertTrue(upgraded.verify(fresh.backupId(), true).ok());
        upgraded.gc(false);
        assertTrue(upgraded.verify(old.backupId(), true).ok(), "GC kept what the old backup needs");
        f.write(100);
        upgraded.restore(old.backupId());
        assertEquals(f.backupEnds(old.backupId()), f.depotEnds());
        f.write(100);
        upgraded.restore(fresh.backupId());
        assertEquals(f.backupEnds(fresh.backupId()), f.depotEnds());
        f.checkLive(A, "after-both-restores");
    }

    @Test
    void aPlainVerifyFindsATruncatedCompressedChunk() throws Exception {
        f = new EngineFixture(dir);
        f.write(1500);
        ModuleManifest manifest = f.engine.backup(A);
        String chunk = StoreLayout.chunkKey(chunkedFile(manifest).chunks().get(0));
        Path file = dir.resolve("store").resolve(chunk);
        byte[] stored = Files.readAllBytes(file);
        assertTrue(sealed(stored, 1), "the workload's text is stored compressed");
        Files.write(file, java.util.Arrays.copyOf(stored, stored.length - 7));
        VerifyReport plain = f.engine.verify(manifest.backupId(), false);
        assertEquals(1, plain.problems().size(), plain.problems().toString());
        assertTrue(plain.problems().get(0).startsWith("chunk " + StoreLayout.chunkOf(chunk) + " is corrupt: the store holds "
                + (stored.length - 7) + " bytes"), plain.problems().toString());
    }

    @Test
    void aSegmentsNameCannotConfirmAGuessOfTheFilesItLists() throws Exception {
        MasterKeyProvider key = key(12);
        f = new EngineFixture(dir, options(key));
        f.write(600);
        ModuleManifest manifest = f.engine.backup(A);
        SealingProvider keyed = new SealingProvider(f.store(), Compression.NONE, key, Runnable::run);
        BackupStore reader = new BackupStore(keyed, new io.modbackup.core.manifest.ManifestCodec(), Runnable::run);
        TaskManifest header = reader.readTaskHeader(manifest.tasks().get(0), manifest.chunkSize(), "task 0").join();
        io.modbackup.core.manifest.SegmentRef segment = header.segments().get(0);
        List<FileEntry> files = reader.readSegment(segment, manifest.chunkSize(), "segment 0").join();
        io.modbackup.core.manifest.ManifestCodec codec = new io.modbackup.core.manifest.ManifestCodec();
        assertEquals(segment.sha256(), Hashing.sha256Hex(codec.encode(new io.modbackup.core.manifest.FileSegment(
                io.modbackup.core.manifest.ManifestCodec.VERSION, files))), "a segment is named by the SHA-256 of its plaintext");
        // Someone who knows every file (content, path, size and time) but not the key names their content
        // by SHA-256 and builds the same segment: its name is not in the store.
        List<FileEntry> guess = new ArrayList<>();
        for (FileEntry file : files) {
            byte[] content = file.inline() != null ? java.util.Base64.getDecoder().decode(file.inline()) : contentOf(keyed, file);
            List<String> chunks = new ArrayList<>();
            for (int i = 0; i < file.chunks().size(); i++) {
                int from = i * manifest.chunkSize();
                chunks.add(Hashing.sha256Hex(java.util.Arrays.copyOfRange(content, from,
                        Math.min(content.length, from + manifest.chunkSize()))));
            }
            guess.add(new FileEntry(file.path(), file.kind(), file.size(), file.modifiedMillis(), Hashing.sha256Hex(content),
                    chunks, file.inline()));
        }
        String guessed = Hashing.sha256Hex(codec.encode(new io.modbackup.core.manifest.FileSegment(
                io.modbackup.core.manifest.ManifestCodec.VERSION, guess)));
        assertNotEquals(segment.sha256(), guessed);
        assertFalse(Files.exists(dir.resolve("store").resolve(StoreLayout.segmentKey(guessed))),
                "the guessed segment's name is not in the store");
    }

    /** A chunked file's content, read chunk by chunk with the key. */
    private static byte[] contentOf(SealingProvider keyed, FileEntry file) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String chunk : file.chunks()) {
            try (InputStream in = keyed.getObject(StoreLayout.chunkKey(chunk)).join()) {
                in.transferTo(out);
            }
        }
        return out.toByteArray();
    }

    @Test
    void aGcOnANewStoreClaimsItEncryptedAndBackupsFollowUnderTheSameKey() throws Exception {
        MasterKeyProvider key = key(11);
        f = new EngineFixture(dir, options(key));
        assertTrue(f.engine.storeFormat().isEmpty(), "the store is new");
        io.modbackup.core.gc.GcReport gc = f.engine.gc(false);
        assertEquals(List.of(0, 0, 0L, 0L), List.of(gc.deletedBackups().size(), gc.keptBackups(), gc.deletedChunks(),
                gc.deletedManifests()), gc.toString());
        StoreFormat format = f.engine.storeFormat().orElseThrow();
        assertEquals(key.keyId(), format.encryption().keyId(), "the GC created the store's format record, encrypted");
        assertTrue(Files.exists(dir.resolve("store").resolve(StoreLayout.OWNER_KEY)), "and claimed it for this cluster");
        f.write(300);
        ModuleManifest manifest = f.engine.backup(A);
        for (Map.Entry<String, byte[]> object : storedObjects().entrySet()) {
            if (object.getKey().startsWith(StoreLayout.BLOBS)) {
                assertTrue(sealed(object.getValue(), 2), object.getKey() + " is stored encrypted");
            }
        }
        assertTrue(f.engine.verify(manifest.backupId(), true).ok());
    }

    @Test
    void aRestoreThatWouldBreakAnotherModulesDependencyIsRefusedInAnEncryptedStoreToo() throws Exception {
        MasterKeyProvider key = key(10);
        f = new EngineFixture(dir, options(key));
        f.write(300);
        ModuleManifest manifest = f.engine.backup(A);
        io.modbackup.api.runtime.ModuleDescriptor d = manifest.descriptor();
        io.modbackup.api.runtime.ModuleDescriptor lacking = new io.modbackup.api.runtime.ModuleDescriptor(d.name(),
                d.taskCount(), d.depots(), d.topologies(), d.pstates().stream().filter(p -> !p.name().equals("$$totals"))
                .toList(), d.dependencies(), d.jarName(), d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism());
        BackupId id = f.storeWithDescriptor(manifest, lacking);
        EngineFixture.LiveState endsBefore = f.live();
        BackupException e = assertThrows(BackupException.class, () -> f.engine.restore(id.toString()));
        assertEquals(Problem.RESTORE_BREAKS_DEPENDENCY, e.problem());
        assertTrue(e.getMessage().contains("module " + EngineFixture.B + " depends on pstate $$totals of module " + A),
                e.getMessage());
        f.assertUntouched(endsBefore);
    }
}
