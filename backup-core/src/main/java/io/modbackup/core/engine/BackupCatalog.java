package io.modbackup.core.engine;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.StoreLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/** The read side of the store: list a module's backups page by page, show one, verify one. Thread-safe. */
final class BackupCatalog {
    private static final String TOKEN_VERSION = "index1:";
    private final ClusterRuntime runtime;
    private final BackupStore store;
    private final ChunkStore chunks;
    private final ManifestCodec codec;
    private final int checksInFlight;

    BackupCatalog(ClusterRuntime runtime, BackupStore store, ChunkStore chunks, ManifestCodec codec, int checksInFlight) {
        this.runtime = runtime;
        this.store = store;
        this.chunks = chunks;
        this.codec = codec;
        this.checksInFlight = checksInFlight;
    }

    /**
     * A page of {@code module}'s committed backups, newest first, read from the store's newest-first
     * index: one listing request and one module manifest read per backup shown (more only when the
     * page meets backups that never committed), however many backups the module has.
     */
    BackupPage list(String module, String pageToken, int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
        }
        String token = pageToken == null ? null : decodePageToken(pageToken, module);
        List<BackupSummary> page = new ArrayList<>();
        boolean listedAny = false;
        do {
            io.modbackup.core.store.BackupIndex.IndexPage index;
            try {
                index = store.index().newestFirst(module, token, pageSize - page.size());
            } catch (IllegalArgumentException e) {
                throw invalidToken(pageToken, module);
            }
            listedAny |= !index.ids().isEmpty();
            List<CompletableFuture<byte[]>> reads = index.ids().stream()
                    .map(id -> store.readBytes(StoreLayout.moduleManifestKey(id))).toList();
            for (int i = 0; i < index.ids().size(); i++) {
                byte[] bytes = Futures.await(reads.get(i), "read backup " + index.ids().get(i));
                // Absent: a backup that never committed, or one a GC is deleting.
                if (bytes != null) {
                    page.add(BackupSummary.of(codec.decodeModule(bytes, index.ids().get(i).toString(), module,
                            "module manifest of backup " + index.ids().get(i))));
                }
            }
            token = index.nextToken();
        } while (page.size() < pageSize && token != null);
        if (!listedAny && pageToken == null && runtime.describe(module).isEmpty()) {
            throw Modules.unknown(runtime, module);
        }
        return new BackupPage(page, token == null ? null : encodePageToken(module, token));
    }

    ModuleManifest info(String backupId) {
        BackupId id = BackupId.parse(backupId);
        return store.moduleManifest(id).orElseThrow(() -> new BackupException(Problem.UNKNOWN_BACKUP, id.toString(),
                "no backup " + id + " in the store; list the backups of module " + id.module() + " to find one"));
    }

    /** Verifies {@code backupId}: every chunk's presence and size, and downloads those {@code deep} or {@code sample} names. */
    VerifyReport verify(String backupId, boolean deep, VerifySample sample) {
        ModuleManifest manifest;
        try {
            manifest = info(backupId);
        } catch (CorruptBackupException e) {
            return new VerifyReport(backupId, deep, 0, 0, 0, List.of(e.getMessage()), sample, 0, 0);
        }
        List<String> problems = new ArrayList<>();
        io.modbackup.core.hash.ContentHash hash = chunks.contentHash();
        BackupStore.Reach reach = store.reach(manifest, file -> {
            if (file.inline() != null && !hash.of(Base64.getDecoder().decode(file.inline())).equals(file.sha256())) {
                problems.add("backup " + backupId + ": inlined file " + file.path() + " does not match its SHA-256");
            }
        });
        problems.addAll(reach.unreadable());
        List<String> sorted = reach.chunks().keySet().stream().sorted().toList();
        Semaphore inFlight = new Semaphore(checksInFlight);
        List<CompletableFuture<String>> checks = new ArrayList<>();
        long chunksRead = 0;
        long bytesRead = 0;
        for (String sha : sorted) {
            boolean read = deep || sample != null && sample.includes(sha);
            if (read) {
                chunksRead++;
                bytesRead += reach.chunks().get(sha);
            }
            inFlight.acquireUninterruptibly();
            checks.add(chunks.check(sha, reach.chunks().get(sha), read).whenComplete((r, e) -> inFlight.release()));
        }
        for (CompletableFuture<String> check : checks) {
            String problem = Futures.await(check.exceptionally(e -> "chunk check failed: " + Futures.cause(e).getMessage()),
                    "verify chunks");
            if (problem != null) {
                problems.add(problem);
            }
        }
        return new VerifyReport(backupId, deep, reach.taskManifests(), reach.files(), sorted.size(), problems,
                deep ? null : sample, chunksRead, bytesRead);
    }

    /** Our page token: the module and the index listing's own token, so a token of another module is refused. */
    private static String encodePageToken(String module, String indexToken) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((TOKEN_VERSION + module + "\n" + indexToken)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static String decodePageToken(String token, String module) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            String expected = TOKEN_VERSION + module + "\n";
            if (raw.startsWith(expected) && raw.length() > expected.length()) {
                return raw.substring(expected.length());
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw invalidToken(token, module);
    }

    private static IllegalArgumentException invalidToken(String token, String module) {
        return new IllegalArgumentException("invalid page token '" + token + "' for the backups of module " + module
                + ": use the token printed by the previous page of the same listing, or list again without one");
    }
}
