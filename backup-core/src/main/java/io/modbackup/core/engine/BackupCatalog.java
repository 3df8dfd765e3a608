package io.modbackup.core.engine;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.hash.Hashing;
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

    BackupPage list(String module, String pageToken, int pageSize) {
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
        }
        BackupId after = pageToken == null ? null : decodePageToken(pageToken, module);
        List<BackupId> candidates = store.backupIdsNewestFirst(module).stream()
                .filter(id -> after == null || id.compareTo(after) < 0).toList();
        if (candidates.isEmpty() && after == null && runtime.describe(module).isEmpty()) {
            throw Modules.unknown(runtime, module);
        }
        List<BackupSummary> page = new ArrayList<>();
        int next = 0;
        while (page.size() < pageSize && next < candidates.size()) {
            // Uncommitted backups have no manifest: read the next batch until the page is full.
            List<BackupId> batch = candidates.subList(next, Math.min(candidates.size(), next + pageSize - page.size()));
            next += batch.size();
            List<CompletableFuture<byte[]>> reads = batch.stream()
                    .map(id -> store.readBytes(StoreLayout.moduleManifestKey(id))).toList();
            for (int i = 0; i < batch.size(); i++) {
                byte[] bytes = Futures.await(reads.get(i), "read backup " + batch.get(i));
                if (bytes != null) {
                    page.add(BackupSummary.of(codec.decodeModule(bytes, "module manifest of backup " + batch.get(i))));
                }
            }
        }
        String token = next < candidates.size() && !page.isEmpty()
                ? encodePageToken(page.get(page.size() - 1).backupId()) : null;
        return new BackupPage(page, token);
    }

    ModuleManifest info(String backupId) {
        BackupId id = BackupId.parse(backupId);
        return store.moduleManifest(id).orElseThrow(() -> new BackupException(Problem.UNKNOWN_BACKUP, id.toString(),
                "no backup " + id + " in the store; list the backups of module " + id.module() + " to find one"));
    }

    VerifyReport verify(String backupId, boolean deep) {
        ModuleManifest manifest;
        try {
            manifest = info(backupId);
        } catch (CorruptBackupException e) {
            return new VerifyReport(backupId, deep, 0, 0, 0, List.of(e.getMessage()));
        }
        List<String> problems = new ArrayList<>();
        BackupStore.Reach reach = store.reach(manifest, file -> {
            if (file.inline() != null && !Hashing.sha256Hex(Base64.getDecoder().decode(file.inline())).equals(file.sha256())) {
                problems.add("backup " + backupId + ": inlined file " + file.path() + " does not match its SHA-256");
            }
        });
        problems.addAll(reach.unreadable());
        List<String> sorted = reach.chunks().keySet().stream().sorted().toList();
        Semaphore inFlight = new Semaphore(checksInFlight);
        List<CompletableFuture<String>> checks = new ArrayList<>();
        for (String sha : sorted) {
            inFlight.acquireUninterruptibly();
            checks.add(chunks.check(sha, deep).whenComplete((r, e) -> inFlight.release()));
        }
        for (CompletableFuture<String> check : checks) {
            String problem = Futures.await(check.exceptionally(e -> "chunk check failed: " + Futures.cause(e).getMessage()),
                    "verify chunks");
            if (problem != null) {
                problems.add(problem);
            }
        }
        return new VerifyReport(backupId, deep, reach.taskManifests(), reach.files(), sorted.size(), problems);
    }

    private static String encodePageToken(String backupId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(backupId.getBytes(StandardCharsets.UTF_8));
    }

    private static BackupId decodePageToken(String token, String module) {
        try {
            BackupId id = BackupId.parse(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
            if (id.module().equals(module)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new IllegalArgumentException("invalid page token '" + token + "' for the backups of module " + module
                + ": use the token printed by the previous page of the same listing, or list again without one");
    }
}
