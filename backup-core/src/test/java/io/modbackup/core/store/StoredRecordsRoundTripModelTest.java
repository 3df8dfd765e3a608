package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.FileKind;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.FileSegment;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.manifest.Totals;
import io.modbackup.core.seal.Compression;
import io.modbackup.testkit.provider.InMemoryProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a backup writes, read back through the store's own read path ({@link BackupStore} over a
 * {@link SealingProvider}) against a model: random module manifests, task manifests and file-list
 * segments, and chunks, in a plain, a compressed and an encrypted store. Each reads back exactly as
 * written; each stored object with one bit flipped, cut short or grown reads back as exactly the value
 * written, or is refused with a {@link CorruptBackupException}: never another value, never another
 * exception. (A chunk is checked here only in the encrypted store, where sealing authenticates it; in a
 * plain store its hash is checked where it is restored, by {@link ChunkStore}.) A failing case names its
 * seed; {@code -Dmodbackup.model.seed=S} replays it.
 */
class StoredRecordsRoundTripModelTest {
    private static final String MODULE = "com.example.Model";
    private static final int MUTATIONS = 40;

    static List<Long> seeds() {
        String one = System.getProperty("modbackup.model.seed");
        return one != null ? List.of(Long.parseLong(one)) : List.of(11L, 23L, 42L);
    }

    private enum StoreKind { PLAIN, COMPRESSED, ENCRYPTED }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyRecordReadsBackAsWrittenAndEveryDamagedOneAsWrittenOrRefusedAsCorrupt(long seed) throws Exception {
        Random random = new Random(seed);
        int refused = 0;
        for (StoreKind kind : StoreKind.values()) {
            InMemoryProvider raw = new InMemoryProvider();
            SealingProvider sealing = new SealingProvider(raw, kind == StoreKind.PLAIN ? Compression.NONE : Compression.DEFAULT,
                    kind == StoreKind.ENCRYPTED ? new LocalMasterKey(bytes(random, LocalMasterKey.LENGTH)) : null, Runnable::run);
            sealing.keys().initialize(false).join();
            ManifestCodec codec = new ManifestCodec();
            BackupStore store = new BackupStore(sealing, codec, Runnable::run);
            for (int backup = 0; backup < 6; backup++) {
                String what = kind + " store, backup " + backup + ", seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + ")";
                int chunkSize = 4096 << random.nextInt(4);
                BackupId id = new BackupId(MODULE, 1_950_000_000_000L + backup * 1000L, random.nextInt(256));
                int tasks = 1 + random.nextInt(4);
                List<TaskRef> refs = new ArrayList<>();
                for (int t = 0; t < tasks; t++) {
                    // Segments: written through the store, as a backup writes them, then the task manifest naming them.
                    List<SegmentRef> segments = new ArrayList<>();
                    List<List<FileEntry>> segmentFiles = new ArrayList<>();
                    for (List<FileEntry> files : randomSegments(random, chunkSize)) {
                        byte[] bytes = codec.encode(new FileSegment(ManifestCodec.VERSION, files));
                        SegmentRef ref = new SegmentRef(Hashing.sha256Hex(bytes), files.size(),
                                files.stream().mapToLong(FileEntry::size).sum());
                        put(sealing, StoreLayout.segmentKey(ref.sha256()), bytes);
                        segments.add(ref);
                        segmentFiles.add(files);
                    }
                    TaskManifest task = new TaskManifest(ManifestCodec.VERSION, MODULE, id.toString(), t, List.of(), segments,
                            Map.of("*events", (long) random.nextInt(1_000_000)), Map.of("counter", Map.of("*events", (long) random.nextInt(1000))));
                    byte[] taskBytes = codec.encode(task);
                    TaskRef ref = new TaskRef(t, StoreLayout.taskManifestKey(id, t), Hashing.sha256Hex(taskBytes),
                            segmentFiles.stream().mapToInt(List::size).sum(), 0);
                    put(sealing, ref.key(), taskBytes);
                    refs.add(ref);

                    String taskWhat = "task manifest " + t + " in the " + what;
                    assertEquals(task, store.readTaskHeader(ref, chunkSize, taskWhat).join(), taskWhat);
                    refused += damage(raw, ref.key(), random, taskWhat, task,
                            () -> store.readTaskHeader(ref, chunkSize, taskWhat).join());
                    for (int s = 0; s < segments.size(); s++) {
                        SegmentRef segment = segments.get(s);
                        List<FileEntry> files = segmentFiles.get(s);
                        String segmentWhat = "segment " + s + " of " + taskWhat;
                        assertEquals(files, store.readSegment(segment, chunkSize, segmentWhat).join(), segmentWhat);
                        refused += damage(raw, StoreLayout.segmentKey(segment.sha256()), random, segmentWhat, files,
                                () -> store.readSegment(segment, chunkSize, segmentWhat).join());
                    }
                }
                ModuleManifest manifest = codec.seal(moduleManifest(random, id, chunkSize, refs)).manifest();
                put(sealing, StoreLayout.moduleManifestKey(id), codec.encode(manifest));
                String moduleWhat = "module manifest in the " + what;
                assertEquals(Optional.of(manifest), store.readModuleManifest(id).join(), moduleWhat);
                refused += damage(raw, StoreLayout.moduleManifestKey(id), random, moduleWhat, Optional.of(manifest),
                        () -> store.readModuleManifest(id).join());

                if (kind == StoreKind.ENCRYPTED) {
                    byte[] chunk = random.nextBoolean() ? bytes(random, 1 + random.nextInt(chunkSize))
                            : "compressible content ".repeat(1 + random.nextInt(chunkSize / 21)).getBytes(StandardCharsets.UTF_8);
                    String key = StoreLayout.chunkKey(sealing.contentHash().of(chunk));
                    put(sealing, key, chunk);
                    String chunkWhat = "chunk in the " + what;
                    assertArrayEquals(chunk, get(sealing, key), chunkWhat);
                    refused += damage(raw, key, random, chunkWhat, ByteArrayWrapper.of(chunk),
                            () -> ByteArrayWrapper.of(get(sealing, key)));
                }
            }
        }
        assertTrue(refused > 0, "no damaged read was refused");
    }

    /**
     * Damages the stored object {@code MUTATIONS} times (each from its intact bytes) and reads it through
     * {@code read}: the value must equal {@code expected}, or the read fails with a {@link CorruptBackupException}.
     * Returns the number of damaged reads refused.
     */
    private static int damage(InMemoryProvider raw, String key, Random random, String what, Object expected,
                              Supplier<Object> read) throws IOException {
        byte[] intact = stored(raw, key);
        int refused = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] damaged = mutate(intact, random);
            if (Arrays.equals(damaged, intact)) {
                continue;
            }
            rawPut(raw, key, damaged);
            Object value;
            try {
                value = read.get();
            } catch (CompletionException | CorruptBackupException e) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (!(cause instanceof CorruptBackupException)) {
                    fail(what + ", damaged (" + describe(intact, damaged) + "): failed with " + cause + ", not as corrupt", cause);
                }
                refused++;
                continue;
            } catch (RuntimeException e) {
                fail(what + ", damaged (" + describe(intact, damaged) + "): failed with " + e + ", not as corrupt", e);
                return refused;
            }
            assertEquals(expected, value, what + ", damaged (" + describe(intact, damaged) + "), read back as another value");
        }
        rawPut(raw, key, intact);
        return refused;
    }

    /** One bit flipped, the object cut short (to nothing at times), or grown by a copy of its own bytes or by zeros. */
    private static byte[] mutate(byte[] intact, Random random) {
        switch (random.nextInt(4)) {
            case 0, 1 -> {
                byte[] out = intact.clone();
                int at = random.nextInt(out.length);
                out[at] ^= (byte) (1 << random.nextInt(8));
                return out;
            }
            case 2 -> {
                return Arrays.copyOf(intact, random.nextInt(intact.length));
            }
            default -> {
                int extra = 1 + random.nextInt(Math.min(64, intact.length));
                byte[] out = Arrays.copyOf(intact, intact.length + extra);
                if (random.nextBoolean()) {
                    System.arraycopy(intact, 0, out, intact.length, extra);
                }
                return out;
            }
        }
    }

    private static String describe(byte[] intact, byte[] damaged) {
        if (damaged.length != intact.length) {
            return intact.length + " bytes made " + damaged.length;
        }
        for (int i = 0; i < intact.length; i++) {
            if (intact[i] != damaged[i]) {
                return "byte " + i + " of " + intact.length + " flipped";
            }
        }
        return "unchanged";
    }

    // ------------------------------------------------------------------ the model's records

    private static List<List<FileEntry>> randomSegments(Random random, int chunkSize) {
        TreeSet<String> paths = new TreeSet<>();
        int files = 1 + random.nextInt(12);
        String[] dirs = {"depots/*events/", "pstates/counts/", "progress/", "pstates/$$index/"};
        while (paths.size() < files) {
            paths.add(dirs[random.nextInt(dirs.length)] + Long.toString(random.nextLong() & 0xffffffL, 36)
                    + (random.nextBoolean() ? ".sst" : ".seg"));
        }
        List<FileEntry> all = new ArrayList<>();
        for (String path : paths) {
            FileKind kind = FileKind.values()[random.nextInt(FileKind.values().length)];
            if (random.nextInt(3) == 0) {
                byte[] content = bytes(random, random.nextInt(200));
                all.add(new FileEntry(path, kind, content.length, random.nextInt(1 << 30), Hashing.sha256Hex(content), List.of(),
                        Base64.getEncoder().encodeToString(content)));
            } else {
                long size = 1 + (long) random.nextInt(5 * chunkSize);
                List<String> chunks = new ArrayList<>();
                for (long c = 0; c < (size + chunkSize - 1) / chunkSize; c++) {
                    chunks.add(Hashing.sha256Hex(bytes(random, 8)));
                }
                all.add(new FileEntry(path, kind, size, random.nextInt(1 << 30), Hashing.sha256Hex(bytes(random, 8)), chunks, null));
            }
        }
        // Path order across segments, as the writer cuts them.
        List<List<FileEntry>> segments = new ArrayList<>();
        int from = 0;
        while (from < all.size()) {
            int to = Math.min(all.size(), from + 1 + random.nextInt(5));
            segments.add(List.copyOf(all.subList(from, to)));
            from = to;
        }
        return segments;
    }

    private static ModuleManifest moduleManifest(Random random, BackupId id, int chunkSize, List<TaskRef> tasks) {
        ModuleDescriptor descriptor = new ModuleDescriptor(MODULE, tasks.size(), List.of(new DepotSpec("*events")),
                List.of(new TopologySpec("counter", TopologyKind.MICROBATCH, List.of(new DepotRef(MODULE, "*events")))),
                List.of(new PStateSpec("$$counts", "counter")), List.of(), "model.jar",
                Map.of("topology.option", Integer.toString(random.nextInt(100))), Map.of("backup.period.seconds", "60"),
                random.nextBoolean(), new Parallelism(tasks.size(), 1 + random.nextInt(3), 1));
        byte[] jarContent = bytes(random, 1 + random.nextInt(100));
        FileEntry jar = new FileEntry("model.jar", FileKind.IMMUTABLE, jarContent.length, 0, Hashing.sha256Hex(jarContent),
                List.of(), Base64.getEncoder().encodeToString(jarContent));
        long files = tasks.stream().mapToLong(TaskRef::files).sum();
        return new ModuleManifest(ManifestCodec.VERSION, id.toString(), MODULE, "model-cluster", id.createdMillis(),
                id.createdMillis() + random.nextInt(100_000), random.nextInt(3), chunkSize, descriptor,
                Map.of("counter", (long) random.nextInt(10_000)), jar, tasks,
                new Totals(files, random.nextInt(1 << 20), random.nextInt(1 << 20), random.nextInt(1 << 20),
                        random.nextBoolean() ? null : (long) random.nextInt(1 << 20), random.nextInt(100), random.nextInt(100),
                        random.nextInt(100), random.nextInt(10_000)), null);
    }

    // ------------------------------------------------------------------ store access

    private static void put(SealingProvider sealing, String key, byte[] bytes) {
        sealing.putObject(key, new ByteArrayInputStream(bytes), bytes.length).join();
    }

    private static byte[] get(SealingProvider sealing, String key) {
        try (InputStream in = sealing.getObject(key).join()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] stored(InMemoryProvider raw, String key) throws IOException {
        try (InputStream in = raw.getObject(key).join()) {
            return in.readAllBytes();
        }
    }

    private static void rawPut(InMemoryProvider raw, String key, byte[] bytes) {
        CompletableFuture<Void> put = raw.putObject(key, new ByteArrayInputStream(bytes), bytes.length);
        put.join();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    /** Bytes compared by content, so that a chunk's value can be checked with {@code assertEquals}. */
    private record ByteArrayWrapper(String hex) {
        static ByteArrayWrapper of(byte[] bytes) {
            return new ByteArrayWrapper(java.util.HexFormat.of().formatHex(bytes));
        }
    }
}
