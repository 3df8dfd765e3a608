package io.modbackup.core.gc;

import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes backups that their module's {@link RetentionPolicy} lets go, then every chunk and manifest
 * that no remaining backup reaches. Module manifests go first, so a backup disappears whole before
 * any of its files do. A run holds the store's exclusive lease ({@link StoreLocks}): no backup is in
 * progress while chunks are deleted, in this process or another of the same cluster, so a chunk a
 * running backup uploaded or decided to reuse is never taken from under it. Orphans of crashed
 * backups are collected once their lease expired (the lease TTL is the grace period), and so are the
 * expired leases themselves.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    private final BackupStore store;
    private final StoreLocks locks;
    private final Clock clock;
    private final Function<String, RetentionPolicy> policies;

    /**
     * @param policies the retention policy of a module (from its dynamic options)
     */
    public GarbageCollector(BackupStore store, StoreLocks locks, Clock clock, Function<String, RetentionPolicy> policies) {
        this.store = store;
        this.locks = locks;
        this.clock = clock;
        this.policies = policies;
    }

    /**
     * Runs a collection; a dry run computes the same report without deleting or locking anything.
     *
     * @throws io.modbackup.core.error.CorruptBackupException when a committed manifest cannot be
     *     read: its chunks are unknown, so nothing is swept until it is repaired or deleted
     */
    public GcReport collect(boolean dryRun) {
        long started = clock.millis();
        if (dryRun) {
            return run(true, started);
        }
        try (StoreLocks.Lease lease = locks.exclusive(UUID.randomUUID().toString())) {
            locks.recordGcRun(lease.startedMillis());
            GcReport report = run(false, lease.startedMillis());
            locks.removeExpired(lease);
            return report;
        }
    }

    private GcReport run(boolean dryRun, long started) {
        List<String> deletedBackups = new ArrayList<>();
        Set<String> reachable = new HashSet<>();
        Map<String, Long> chunkSizes = new HashMap<>();
        List<String> garbageKeys = new ArrayList<>();
        // Index objects of deleted, never committed or vanished backups: removed last, after their backups.
        List<String> indexKeys = new ArrayList<>();
        Set<String> keptSegments = new HashSet<>();
        int kept = 0;
        for (String module : store.modules()) {
            RetentionPolicy policy = policies.apply(module);
            int committedIndex = 0;
            store.ensureIndexed(module);
            List<BackupId> ids = store.backupIdsNewestFirst(module);
            // Index objects of backups with nothing left under backups/ (a GC that stopped halfway, or an
            // index written for a backup a GC was deleting): nothing to list, so they go.
            Set<String> indexed = new HashSet<>(ids.stream().map(StoreLayout::indexKey).toList());
            store.keysUnder(StoreLayout.indexPrefix(module)).stream().filter(key -> !indexed.contains(key))
                    .forEach(indexKeys::add);
            for (BackupId id : ids) {
                Optional<ModuleManifest> manifest = store.moduleManifest(id);
                List<String> keys = store.keysUnder(StoreLayout.backupPrefix(id));
                if (manifest.isEmpty()) {
                    // Never committed: its backup ended (we hold the exclusive lease) without a commit.
                    garbageKeys.addAll(keys);
                    indexKeys.add(StoreLayout.indexKey(id));
                    continue;
                }
                boolean doomed = policy.deletes(committedIndex++, manifest.get().createdMillis(), started);
                // Segments a kept backup already accounted for are not read again: backups share most of them.
                BackupStore.Reach reach = store.reach(manifest.get(), file -> { }, doomed ? Set.of() : keptSegments);
                if (!reach.unreadable().isEmpty()) {
                    // Its chunks are unknown: sweeping now could take chunks it needs.
                    throw new CorruptBackupException(reach.unreadable().get(0));
                }
                chunkSizes.putAll(reach.chunks());
                if (doomed) {
                    deletedBackups.add(id.toString());
                    if (!dryRun) {
                        // The module manifest first: from here on the backup does not exist.
                        Futures.await(store.provider().deleteObject(StoreLayout.moduleManifestKey(id)), "delete " + id);
                    }
                    keys.stream().filter(k -> !k.equals(StoreLayout.moduleManifestKey(id))).forEach(garbageKeys::add);
                    indexKeys.add(StoreLayout.indexKey(id));
                } else {
                    kept++;
                    reachable.addAll(reach.chunks().keySet());
                    keptSegments.addAll(reach.segments());
                }
            }
        }
        List<String> deadChunks = store.keysUnder(StoreLayout.BLOBS).stream()
                .filter(key -> !reachable.contains(StoreLayout.chunkOf(key))).toList();
        long freed = deadChunks.stream().mapToLong(key -> chunkSizes.getOrDefault(StoreLayout.chunkOf(key), 0L)).sum();
        // File-list segments no kept backup refers to (of deleted backups, or written by backups that never committed).
        store.keysUnder(StoreLayout.SEGMENTS).stream().filter(key -> !keptSegments.contains(StoreLayout.chunkOf(key)))
                .forEach(garbageKeys::add);
        if (!dryRun) {
            Futures.await(store.provider().deleteObjects(new ArrayList<>(garbageKeys)), "delete manifests");
            Futures.await(store.provider().deleteObjects(new ArrayList<>(deadChunks)), "delete chunks");
            Futures.await(store.provider().deleteObjects(new ArrayList<>(indexKeys)), "delete index objects");
        }
        GcReport report = new GcReport(dryRun, deletedBackups, kept, deadChunks.size(), garbageKeys.size(), freed,
                clock.millis() - started);
        log.info("backup GC{}: {} backups deleted, {} kept, {} chunks and {} manifests deleted, {} bytes freed",
                dryRun ? " (dry run)" : "", deletedBackups.size(), kept, deadChunks.size(), garbageKeys.size(), freed);
        return report;
    }
}
