package io.modbackup.core.provider.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupStorageException;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryProviderTest {
    @TempDir
    Path root;

    /**
     * Names are sorted before they are stat'ed, and a directory's key ({@code a/}) sorts after files whose
     * names extend its name with a character before {@code /} ({@code a-1}, {@code a.b}) and before
     * {@code a0}: every page, at every page size and from every token, must still be in key order.
     */
    @Test
    void pagesOfNamesWhoseKeysSortOtherwiseThanTheirNamesAreInKeyOrder() throws Exception {
        java.util.Random random = new java.util.Random(7);
        List<String> parts = List.of("a", "a-", "a.", "a0", "a-1", "b");
        // At the root, a directory a between the file a- and the directory a. before it and a0 after it.
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(List.of("a/a", "a-", "a./a0", "a0"));
        for (int attempt = 0; attempt < 300; attempt++) {
            StringBuilder key = new StringBuilder(parts.get(random.nextInt(parts.size())));
            for (int depth = random.nextInt(3); depth > 0; depth--) {
                key.append('/').append(parts.get(random.nextInt(parts.size())));
            }
            String candidate = key.toString();
            // A file system cannot hold a key that is also a directory of other keys.
            boolean clashes = keys.stream().anyMatch(k -> k.startsWith(candidate + "/") || candidate.startsWith(k + "/"));
            if (!clashes) {
                keys.add(candidate);
            }
        }
        assertTrue(keys.size() >= 30, keys.toString());
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            for (String key : keys) {
                provider.putObject(key, new ByteArrayInputStream(new byte[] {1}), 1).get();
            }
            assertEquals(List.copyOf(keys), provider.listKeysRecursive("", null).get().keys());
            java.util.Set<String> directories = new java.util.TreeSet<>();
            directories.add("");
            keys.forEach(key -> {
                for (int slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', slash + 1)) {
                    directories.add(key.substring(0, slash + 1));
                }
            });
            for (String directory : directories) {
                List<String> expected = keys.stream().filter(key -> key.startsWith(directory))
                        .map(key -> key.substring(directory.length()))
                        .map(rest -> rest.contains("/") ? rest.substring(0, rest.indexOf('/') + 1) : rest)
                        .distinct().sorted().toList();
                for (int pageSize = 1; pageSize <= 4; pageSize++) {
                    List<String> paged = new java.util.ArrayList<>();
                    String token = null;
                    do {
                        var page = provider.listKeysNonRecursive(directory, token, pageSize).get();
                        assertTrue(page.keys().size() <= pageSize, directory + " " + page);
                        paged.addAll(page.keys());
                        token = page.nextPageToken();
                    } while (token != null);
                    assertEquals(expected, paged, "'" + directory + "' in pages of " + pageSize);
                }
                assertEquals(keys.stream().filter(key -> key.startsWith(directory)).toList(),
                        provider.listKeysRecursive(directory, null).get().keys(), "'" + directory + "' recursively");
            }
        }
    }

    /** Pages of 1,000 keys that end inside directories: the next page resumes inside them, every key once in order. */
    @Test
    void recursivePagesResumeInsideTheDirectoryWherePreviousOnesEnded() throws Exception {
        List<String> parts = List.of("a", "a-", "a0");
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            keys.add("n/" + parts.get(i % 3) + "/" + parts.get(i / 3 % 3) + "/" + i);
        }
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            for (String key : keys) {
                provider.putObject(key, new ByteArrayInputStream(new byte[0]), 0).get();
            }
            List<String> listed = new java.util.ArrayList<>();
            String token = null;
            do {
                var page = provider.listKeysRecursive("n/", token).get();
                listed.addAll(page.keys());
                token = page.nextPageToken();
            } while (token != null);
            assertEquals(keys.stream().sorted().toList(), listed);
        }
    }

    @Test
    void objectsAreFilesUnderTheRootAtTheirKeyPath() throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            provider.putObject("blobs/ab/abcdef", new ByteArrayInputStream(new byte[] {1, 2}), 2).get();
            assertTrue(Files.isRegularFile(root.resolve("blobs/ab/abcdef")));
            assertEquals(2, Files.size(root.resolve("blobs/ab/abcdef")));
        }
    }

    @Test
    void getFileSeesAPrefixOrASymbolicLinkAsNoObjectLikeGetObject(@TempDir Path elsewhere) throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            provider.putObject("blobs/ab/abcdef", new ByteArrayInputStream(new byte[] {1, 2}), 2).get();
            Path secret = Files.writeString(elsewhere.resolve("secret"), "outside the store");
            Files.createSymbolicLink(root.resolve("blobs/ab/link"), secret);
            Path target = elsewhere.resolve("restored");
            for (String key : List.of("blobs/ab", "blobs/ab/link")) {
                assertEquals(null, provider.getObject(key).get(), key);
                assertFalse(provider.getFile(key, target).get(), key + " is no object");
                assertFalse(Files.exists(target), "nothing written for " + key);
            }
            assertTrue(provider.getFile("blobs/ab/abcdef", target).get());
            assertEquals(2, Files.size(target));
        }
    }

    @Test
    void aMissingRootDirectoryIsCreatedByTheFirstWriteAndNotByReads() throws Exception {
        Path nested = root.resolve("does/not/exist/yet");
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(nested.toString())) {
            assertNull(provider.getObject("cluster.json").get());
            assertFalse(provider.hasKey("cluster.json").get());
            assertTrue(provider.listKeysNonRecursive("backups/", null, 0).get().keys().isEmpty());
            assertTrue(provider.listKeysRecursive("", null).get().keys().isEmpty());
            assertFalse(Files.exists(root.resolve("does")), "reads create nothing");
            provider.putObject("cluster.json", new java.io.ByteArrayInputStream(new byte[] {1}), 1).get();
            assertTrue(Files.isRegularFile(nested.resolve("cluster.json")));
        }
    }

    @Test
    void aRootThatIsAFileIsRefusedWithItsPath() throws Exception {
        Path file = Files.writeString(root.resolve("plain-file"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LocalDirectoryProvider(file.toString()));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void aBlankArgumentIsRefusedWithAnExample() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LocalDirectoryProvider(" "));
        assertTrue(e.getMessage().contains("needs a directory"), e.getMessage());
    }

    @Test
    void aFailedPutLeavesNeitherTheObjectNorATemporaryFileBehind() throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> provider.putObject("k", new ByteArrayInputStream(new byte[3]), 10).get());
            assertInstanceOf(BackupStorageException.class, e.getCause());
            assertFalse(Files.exists(root.resolve("k")));
            try (var temps = Files.list(root.resolve(LocalDirectoryProvider.TEMP_DIR))) {
                assertEquals(0, temps.count());
            }
        }
    }

    @Test
    void leftoverTemporaryFilesOfACrashAreNeverListedAndTheReservedNameIsRefused() throws Exception {
        Path temps = Files.createDirectories(root.resolve(LocalDirectoryProvider.TEMP_DIR));
        Files.writeString(temps.resolve("crashed.tmp"), "partial");
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            assertEquals(List.of(), provider.listKeysRecursive("", null).get().keys());
            assertEquals(List.of(), provider.listKeysNonRecursive("", null, 0).get().keys());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> provider.getObject(LocalDirectoryProvider.TEMP_DIR + "/crashed.tmp").get());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }

    @Test
    void staleTemporaryFilesAreRemovedOnOpenWhileYoungOnesOfOtherWritersStay() throws Exception {
        Path temps = Files.createDirectories(root.resolve(LocalDirectoryProvider.TEMP_DIR));
        Path stale = Files.writeString(temps.resolve("stale.tmp"), "old partial");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(LocalDirectoryProvider.STALE_TEMP_AGE).minusSeconds(60)));
        Path young = Files.writeString(temps.resolve("young.tmp"), "in flight elsewhere");
        new LocalDirectoryProvider(root.toString()).close();
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(young));
    }

    @Test
    void aYoungTemporaryFileOfAnExitedProcessOfThisMachineIsRemovedOnOpen() throws Exception {
        String host = java.net.InetAddress.getLocalHost().getHostName().replace('_', '-');
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Path temps = Files.createDirectories(root.resolve(LocalDirectoryProvider.TEMP_DIR));
        Path orphan = Files.writeString(temps.resolve(host + "_" + exited.pid() + "_x.tmp"), "killed mid-write");
        Path live = Files.writeString(temps.resolve(host + "_" + ProcessHandle.current().pid() + "_y.tmp"), "in flight");
        Path otherHost = Files.writeString(temps.resolve("elsewhere_" + exited.pid() + "_z.tmp"), "in flight elsewhere");
        new LocalDirectoryProvider(root.toString()).close();
        assertFalse(Files.exists(orphan), "the exited writer's temporary file is removed");
        assertTrue(Files.exists(live), "a running writer's file stays");
        assertTrue(Files.exists(otherHost), "another machine's young file stays");
    }

    @Test
    void deferredCreatesWaitInTheJournalUntilTheBarrierSyncsThem() throws Exception {
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            for (int i = 0; i < 20; i++) {
                byte[] bytes = {(byte) i, 1, 2};
                assertTrue(provider.createObject("blobs/0" + (i % 4) + "/k" + i, new ByteArrayInputStream(bytes), 3,
                        io.modbackup.api.provider.BackupProvider.Durability.AT_BARRIER).get());
            }
            assertEquals(20, journalEntries().size(), "each deferred object is an entry of the journal until the barrier");
            provider.barrier().get();
            assertEquals(List.of(), journalEntries(), "the barrier synced them and dropped the entries");
            assertEquals(3, Files.size(root.resolve("blobs/03/k7")));
        }
    }

    @Test
    void objectsLeftUnsyncedBeforeARestartAreAbsentToWritersUntilACreateReplacesThem() throws Exception {
        byte[] whole = {9, 9, 9, 9};
        try (LocalDirectoryProvider writer = new LocalDirectoryProvider(root.toString())) {
            writer.createObject("blobs/aa/torn", new ByteArrayInputStream(whole), 4,
                    io.modbackup.api.provider.BackupProvider.Durability.AT_BARRIER).get();
        } // closed without a barrier: its journal stays, as a crash leaves it
        Path journal;
        try (var journals = Files.list(root.resolve(".modbackup-tmp/unsynced"))) {
            journal = journals.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        // What the next boot finds: the journal of an earlier boot, and the object torn.
        String name = journal.getFileName().toString();
        Files.move(journal, journal.resolveSibling("00000000-0000-0000-0000-000000000000" + name.substring(name.indexOf('_'))));
        Files.write(root.resolve("blobs/aa/torn"), new byte[] {9});
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString())) {
            assertFalse(provider.hasKey("blobs/aa/torn").get(), "a suspect object is absent to writers");
            assertEquals(-1L, provider.objectSize("blobs/aa/torn").get());
            assertTrue(provider.createObject("blobs/aa/torn", new ByteArrayInputStream(whole), 4,
                    io.modbackup.api.provider.BackupProvider.Durability.AT_BARRIER).get(), "a create replaces it");
            provider.barrier().get();
            assertArrayEquals(whole, Files.readAllBytes(root.resolve("blobs/aa/torn")));
            assertTrue(provider.hasKey("blobs/aa/torn").get());
        }
        try (var left = Files.list(root.resolve(".modbackup-tmp/unsynced"))) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("suspects-")).toList(),
                    "the suspects record goes once every key in it was replaced");
        }
    }

    /** The entries of the journals of unsynced writes. */
    private List<Path> journalEntries() throws java.io.IOException {
        Path journals = root.resolve(".modbackup-tmp/unsynced");
        try (var walk = Files.walk(journals)) {
            return walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith("lock")).toList();
        }
    }

    @Test
    void operationsAfterCloseFailWithAClearError() {
        LocalDirectoryProvider provider = new LocalDirectoryProvider(root.toString());
        provider.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> provider.hasKey("k").get());
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
    }

    @Test
    void hasKeyFailsInsteadOfAnsweringFalseWhenTheStoreCannotBeRead() throws Exception {
        if ("root".equals(System.getProperty("user.name"))) {
            // root reads every directory whatever its mode, so permission errors cannot be staged;
            // stage an I/O error instead: a path component that is a file.
            Files.writeString(root.resolve("notadir"), "x");
            try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.resolve("store").toString())) {
                Files.createDirectories(root.resolve("store"));
                Files.writeString(root.resolve("store/blob"), "x");
                ExecutionException e = assertThrows(ExecutionException.class, () -> provider.hasKey("blob/child").get());
                assertInstanceOf(BackupStorageException.class, e.getCause());
                assertTrue(e.getCause().getMessage().contains("blob/child"), e.getCause().getMessage());
            }
            return;
        }
        try (LocalDirectoryProvider provider = new LocalDirectoryProvider(root.resolve("store").toString())) {
            Files.createDirectories(root.resolve("store/locked"));
            root.resolve("store/locked").toFile().setExecutable(false);
            ExecutionException e = assertThrows(ExecutionException.class, () -> provider.hasKey("locked/x").get());
            assertInstanceOf(BackupStorageException.class, e.getCause());
            root.resolve("store/locked").toFile().setExecutable(true);
        }
    }
}
