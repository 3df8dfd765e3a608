package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.core.crypto.LocalMasterKey;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backup's three byte figures each mean one thing, checked exactly against what the store received:
 * its size is the bytes of its files; its new content is the content of the chunks it put plus the
 * small files it inlined whose content changed; its bytes sent are the bytes of every chunk, segment
 * and task manifest put for it, as stored (compressed, and in an encrypted store sealed), counted by a
 * provider beneath the engine.
 */
class BackupFiguresTest {
    @TempDir
    Path dir;
    private EngineFixture f;
    private BackupEngine engine;

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
        f.close();
    }

    @ParameterizedTest(name = "encrypted: {0}")
    @ValueSource(booleans = {false, true})
    void sizeNewContentAndBytesSentAreWhatTheStoreReceived(boolean encrypted) throws Exception {
        BackupOptions options = BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK);
        if (encrypted) {
            byte[] material = new byte[32];
            new Random(7).nextBytes(material);
            MasterKeyProvider key = new LocalMasterKey(material);
            options = options.withMasterKey(key);
        }
        f = new EngineFixture(dir, options);
        RecordingProvider puts = new RecordingProvider(f.provider);
        engine = new BackupEngine(f.cluster, puts, options);
        BackupStore reader = f.reader();

        f.write(1500);
        assertTrue(f.cluster.awaitSettled(A, 60_000));
        ModuleManifest full = engine.backup(A);
        check(full, null, puts, reader);
        long repeated = duplicateContent(full, reader);
        assertTrue(full.totals().newBytes() <= full.totals().bytes()
                        && full.totals().newBytes() >= full.totals().bytes() - repeated,
                "a first backup's new content is its content, less some of what repeats (" + repeated + " bytes): "
                        + full.totals());

        puts.clear();
        ModuleManifest same = engine.backup(A);
        check(same, full, puts, reader);
        assertEquals(0, same.totals().newBytes(), "nothing changed: no new content");
        assertEquals(0, same.totals().chunksUploaded());
        assertTrue(same.totals().bytesSent() > 0, "its task manifests are sent");

        f.write(700);
        assertTrue(f.cluster.awaitSettled(A, 60_000));
        puts.clear();
        ModuleManifest incremental = engine.backup(A);
        check(incremental, same, puts, reader);
        assertTrue(incremental.totals().newBytes() > 0 && incremental.totals().newBytes() < incremental.totals().bytes(),
                incremental.totals().toString());

        BackupSummary listed = engine.list(A, null, 1).backups().get(0);
        assertEquals(List.of(incremental.totals().bytes(), incremental.totals().newBytes(), incremental.totals().bytesSent()),
                List.of(listed.bytes(), listed.newBytes(), listed.bytesSent()), "the listing shows the manifest's figures");
    }

    /**
     * Checks {@code backup}'s figures against the puts made for it and its files, and {@code previous}, the
     * backup it built on (null for none), for which small files changed.
     */
    private void check(ModuleManifest backup, ModuleManifest previous, RecordingProvider puts, BackupStore reader) {
        Map<String, FileEntry> files = files(backup, reader);
        Map<String, FileEntry> before = previous == null ? Map.of() : files(previous, reader);
        long size = files.values().stream().mapToLong(FileEntry::size).sum();
        assertEquals(size, backup.totals().bytes(), "size: the bytes of its files and jar");

        Map<String, Long> chunkLengths = new HashMap<>();
        files.values().forEach(file -> {
            for (int i = 0; i < file.chunks().size(); i++) {
                chunkLengths.put(file.chunks().get(i), file.storedChunkSize(i, backup.chunkSize())); // a pack: its length
            }
        });
        String modulePrefix = StoreLayout.backupPrefix(BackupId.parse(backup.backupId()));
        String moduleManifest = StoreLayout.moduleManifestKey(BackupId.parse(backup.backupId()));
        long sent = 0;
        long chunkContent = 0;
        for (RecordingProvider.Call put : puts.calls()) {
            if (put.kind() != RecordingProvider.Kind.PUT) {
                continue;
            }
            if (put.key().startsWith(StoreLayout.BLOBS)) {
                String sha = StoreLayout.chunkOf(put.key());
                assertTrue(chunkLengths.containsKey(sha), put.key() + " is a chunk of the backup");
                chunkContent += chunkLengths.get(sha);
                sent += put.bytes();
            } else if (put.key().startsWith(StoreLayout.SEGMENTS)
                    || (put.key().startsWith(modulePrefix) && !put.key().equals(moduleManifest))) {
                sent += put.bytes();
            }
        }
        long changedInline = files.entrySet().stream().filter(e -> e.getValue().inline() != null)
                .filter(e -> before.get(e.getKey()) == null || !before.get(e.getKey()).sha256().equals(e.getValue().sha256()))
                .mapToLong(e -> e.getValue().size()).sum();
        assertEquals(chunkContent + changedInline, backup.totals().newBytes(),
                "new content: the chunks put for it and the small files whose content changed");
        assertEquals(sent, backup.totals().bytesSent(), "bytes sent: what the store received for its chunks and manifests");
        assertNotEquals(backup.totals().newBytes(), backup.totals().bytesSent(), "two figures, two meanings");
    }

    /** Content that a backup holds more than once (each Supervisor's tasks send a chunk once). */
    private static long duplicateContent(ModuleManifest backup, BackupStore reader) {
        Map<String, Long> seen = new HashMap<>();
        long repeated = 0;
        for (FileEntry file : files(backup, reader).values()) {
            if (file.inline() != null) {
                continue;
            }
            for (int i = 0; i < file.chunks().size(); i++) {
                long length = Math.min(backup.chunkSize(), file.size() - (long) i * backup.chunkSize());
                if (seen.putIfAbsent(file.chunks().get(i), length) != null) {
                    repeated += length;
                }
            }
        }
        return repeated;
    }

    /** Every file of the backup by task and path, with the jar. */
    private static Map<String, FileEntry> files(ModuleManifest backup, BackupStore reader) {
        Map<String, FileEntry> files = new HashMap<>();
        files.put("jar", backup.jar());
        for (TaskRef ref : backup.tasks()) {
            reader.taskManifest(backup, ref).files().forEach(file -> files.put(ref.task() + "/" + file.path(), file));
        }
        return files;
    }
}
