package io.modbackup.core.gc;

import io.modbackup.api.provider.BackupProvider.KeysPage;
import io.modbackup.core.async.BoundedFanOut;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.SegmentRef;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes backups that their module's {@link RetentionPolicy} lets go, then every chunk and manifest
 * that no remaining backup reaches. Module manifests go first, so a backup disappears whole before
 * any of its files do.
 *
 * <p><b>Incremental.</b> Reference counts of every segment and chunk persist between runs
 * ({@link GcState}); a run reads the manifests of the backups committed since the last run and of
 * the backups it deletes, not every manifest of every backup, plus a listing of the chunks and
 * segments (one call per thousand keys) to find the orphans of backups that never committed. A
 * store without a usable state (the first run, or one the state does not match) is counted from
 * every manifest once.
 *
 * <p><b>Short exclusive part.</b> That work runs first without a lease, while backups go on. Then
 * the run takes the store's exclusive lease ({@link StoreLocks}): no backup is in progress, in this
 * process or another of the cluster. Under it the run counts the backups committed meanwhile (a
 * listing and their manifests), writes its state, and deletes. So a backup waits for that part
 * only, and a chunk a backup committed or reused is never deleted: it is counted before anything is
 * deleted. Another GC that wrote the state meanwhile, or deleted what the run read before the lease,
 * makes the run count again under the lease.
 * Orphans of crashed backups are collected once their lease expired (the lease TTL is the grace
 * period), and so are the expired leases themselves.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
    /** Manifests read at once. */
    private static final int READS_IN_FLIGHT = 32;
    /** Backups whose manifests are read in one go: bounds what a first run holds. */
    private static final int BACKUPS_PER_BATCH = 16;
    private static final int DELETE_BATCH = 1000;

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
     * Runs a collection; a dry run computes the same report without deleting, writing or locking anything.
     *
     * @throws io.modbackup.core.error.CorruptBackupException when a committed manifest cannot be
     *     read: its chunks are unknown, so nothing is swept until it is repaired or deleted
     */
    public GcReport collect(boolean dryRun) {
        long started = clock.millis();
        if (dryRun) {
            Run run = counted(started, true);
            return run.report(true, clock.millis() - started, 0);
        }
        Run run = countedBeforeTheLease(started);
        try (StoreLocks.Lease lease = locks.exclusive(UUID.randomUUID().toString())) {
            long exclusiveFrom = clock.millis();
            locks.recordGcRun(lease.startedMillis());
            if (run == null || storedGeneration() != run.loadedGeneration) {
                log.info("backup GC: another GC changed the store meanwhile; counting again");
                run = counted(started, true);
            } else {
                try {
                    run = run.catchUp(true);
                } catch (Inconsistent e) {
                    log.warn("backup GC: the store changed under the run ({}); counting again", e.getMessage());
                    run = counted(started, true);
                }
            }
            run.delete();
            locks.removeExpired(lease);
            GcReport report = run.report(false, clock.millis() - started, clock.millis() - exclusiveFrom);
            log.info("backup GC: {} backups deleted, {} kept, {} chunks and {} manifests deleted, {} bytes freed;"
                            + " {} manifests read, {} ms under the exclusive lease", report.deletedBackups().size(),
                    report.keptBackups(), report.deletedChunks(), report.deletedManifests(), report.freedBytes(),
                    report.manifestsRead(), report.exclusiveMillis());
            if (report.locked().any()) {
                log.info("backup GC: {}", report.locked().describe());
            }
            return report;
        }
    }

    /** A run counted up to now: from the stored state, or from every manifest when there is none usable. */
    private Run counted(long started, boolean exclusive) {
        StoredState stored = loadState();
        try {
            return new Run(stored.state, stored.generation, started).catchUp(exclusive).listOrphans();
        } catch (Inconsistent e) {
            log.warn("backup GC: the stored GC state does not match the store ({}); counting every backup again",
                    e.getMessage());
            return new Run(GcState.empty(), stored.generation, started).catchUp(exclusive).listOrphans();
        }
    }

    private record StoredState(GcState state, long generation) {
    }

    private StoredState loadState() {
        byte[] bytes = Futures.await(store.readBytes(StoreLayout.GC_STATE_KEY), "read " + StoreLayout.GC_STATE_KEY);
        if (bytes == null) {
            return new StoredState(GcState.empty(), -1);
        }
        try {
            GcState state = GcState.decode(bytes);
            return new StoredState(state, state.generation);
        } catch (IllegalArgumentException e) {
            log.warn("backup GC: ignoring {}: {}; counting every backup again", StoreLayout.GC_STATE_KEY, e.getMessage());
            return new StoredState(GcState.empty(), -2);
        }
    }

    private long storedGeneration() {
        return loadState().generation;
    }

    /** The state does not match the store: rebuilt from every manifest. Never loses data, only time. */
    /**
     * The count made before the exclusive lease, or null when what it read changed under it: another GC,
     * holding the lease, may be deleting the backups this one listed (module manifests first, then their
     * task manifests), so a manifest goes missing or a counted backup stops being committed. Counted again
     * under the lease, where a missing manifest is corruption.
     */
    private Run countedBeforeTheLease(long started) {
        try {
            return counted(started, false);
        } catch (CorruptBackupException | Inconsistent e) {
            log.info("backup GC: the store changed while counting ({}); counting again under the lease", e.getMessage());
            return null;
        }
    }

    private static final class Inconsistent extends RuntimeException {
        Inconsistent(String message) {
            super(message, null, false, false);
        }
    }

    /** One run's counts and what it will delete. Not thread-safe. */
    private final class Run {
        final GcState state;
        final long loadedGeneration;
        final long started;
        long manifestsRead;
        /** Backups retention deleted, already uncounted, in order. */
        final Map<String, ModuleManifest> doomed = new java.util.LinkedHashMap<>();
        /** Backups that never committed, dead once no backup can be in progress. */
        final Set<BackupId> dead = new LinkedHashSet<>();
        /** Task manifests of the backups retention deleted. */
        final List<String> doomedKeys = new ArrayList<>();
        /** Index objects whose backup is gone or going. */
        final Set<String> indexKeys = new LinkedHashSet<>();
        /** Chunks and segments unreferenced when listed, or whose count fell to zero; checked again at the end. */
        final Set<String> chunkCandidates = new HashSet<>();
        final Set<String> segmentCandidates = new HashSet<>();
        /** Sizes of chunks whose count fell to zero, for the bytes freed. */
        final Map<String, Long> droppedSizes = new HashMap<>();
        /** Backups retention would delete but the store's lock keeps, with when their lock ends (millis). */
        final Map<String, Long> lockedBackups = new HashMap<>();
        long lockedUntilMillis;
        /** Objects a delete left because the store's lock keeps them; the next run meets them again. */
        final Set<String> lockedKeys = new HashSet<>();

        Run(GcState state, long loadedGeneration, long started) {
            this.state = state;
            this.loadedGeneration = loadedGeneration;
            this.started = started;
        }

        /**
         * Counts the backups committed since the state was written and uncounts those retention now
         * deletes. {@code exclusive}: no backup can be in progress, so one without a commit is dead.
         */
        Run catchUp(boolean exclusive) {
            Set<String> modules = new TreeSet<>(store.index().modules());
            state.backups.keySet().forEach(id -> modules.add(BackupId.parse(id).module()));
            for (String module : modules) {
                store.indexWriter().ensureIndexed(module);
                List<BackupId> ids = store.index().backupIdsNewestFirst(module);
                Set<String> present = new HashSet<>();
                ids.forEach(id -> present.add(id.toString()));
                for (String counted : state.backups.keySet()) {
                    if (BackupId.parse(counted).module().equals(module) && !present.contains(counted)) {
                        throw new Inconsistent("counted backup " + counted + " is gone from the store");
                    }
                }
                List<BackupId> fresh = ids.stream().filter(id -> !state.backups.containsKey(id.toString())
                        && !doomed.containsKey(id.toString()) && !dead.contains(id)).toList();
                List<ModuleManifest> committed = new ArrayList<>();
                List<Optional<ModuleManifest>> manifests = readModuleManifests(fresh);
                for (int i = 0; i < fresh.size(); i++) {
                    if (manifests.get(i).isPresent()) {
                        committed.add(manifests.get(i).get());
                    } else if (exclusive) {
                        // Never committed, and its backup ended (nothing holds a lease now).
                        dead.add(fresh.get(i));
                        indexKeys.add(StoreLayout.indexKey(fresh.get(i)));
                    }
                }
                count(committed, 1);
                applyRetention(module, ids);
                if (exclusive) {
                    // Index objects of backups with nothing left under backups/ (a GC that stopped half-way).
                    Set<String> indexed = new HashSet<>();
                    ids.forEach(id -> indexed.add(StoreLayout.indexKey(id)));
                    store.index().keysUnder(StoreLayout.indexPrefix(module)).stream().filter(key -> !indexed.contains(key))
                            .forEach(indexKeys::add);
                }
            }
            return this;
        }

        private List<Optional<ModuleManifest>> readModuleManifests(List<BackupId> ids) {
            manifestsRead += ids.size();
            return Futures.await(BoundedFanOut.map(ids, READS_IN_FLIGHT, store::readModuleManifest),
                    "read the module manifests of " + ids.size() + " backups");
        }

        private void applyRetention(String module, List<BackupId> newestFirst) {
            RetentionPolicy policy = policies.apply(module);
            int committedIndex = 0;
            List<BackupId> going = new ArrayList<>();
            for (BackupId id : newestFirst) {
                Long created = state.backups.get(id.toString());
                if (created == null) {
                    if (doomed.containsKey(id.toString())) {
                        committedIndex++;
                    }
                    continue;
                }
                if (policy.deletes(committedIndex++, created, started)) {
                    going.add(id);
                }
            }
            going = withoutLocked(going);
            List<Optional<ModuleManifest>> manifests = readModuleManifests(going);
            List<ModuleManifest> uncount = new ArrayList<>();
            for (int i = 0; i < going.size(); i++) {
                ModuleManifest manifest = manifests.get(i).orElseThrow(() -> new Inconsistent("counted backup is not committed"));
                uncount.add(manifest);
            }
            count(uncount, -1);
            uncount.forEach(m -> {
                BackupId id = BackupId.parse(m.backupId());
                doomed.put(m.backupId(), m);
                indexKeys.add(StoreLayout.indexKey(id));
                // Listed now (only GC removes a committed backup's files), not under the exclusive lease.
                store.index().keysUnder(StoreLayout.backupPrefix(id)).stream()
                        .filter(k -> !k.equals(StoreLayout.moduleManifestKey(id))).forEach(doomedKeys::add);
            });
        }

        /** Adds ({@code sign} 1) or removes (-1) the references of committed backups, a batch at a time. */
        private void count(List<ModuleManifest> backups, int sign) {
            for (int from = 0; from < backups.size(); from += BACKUPS_PER_BATCH) {
                List<ModuleManifest> batch = backups.subList(from, Math.min(backups.size(), from + BACKUPS_PER_BATCH));
                List<TaskRead> reads = new ArrayList<>();
                for (ModuleManifest manifest : batch) {
                    countFile(manifest.jar(), manifest.chunkSize(), sign);
                    manifest.tasks().forEach(ref -> reads.add(new TaskRead(manifest, ref)));
                }
                manifestsRead += reads.size();
                List<TaskManifest> headers = Futures.await(BoundedFanOut.map(reads, READS_IN_FLIGHT, read -> {
                    String what = "task manifest " + read.ref().task() + " of backup " + read.manifest().backupId();
                    return store.readTaskHeader(read.ref(), read.manifest().chunkSize(), what).thenApply(header -> {
                        if (header == null) {
                            throw new CorruptBackupException(what + " is missing (" + read.ref().key() + ")");
                        }
                        return header;
                    });
                }), "read the task manifests of " + batch.size() + " backups");
                List<SegmentRead> segmentReads = new ArrayList<>();
                for (int i = 0; i < reads.size(); i++) {
                    TaskManifest header = headers.get(i);
                    int chunkSize = reads.get(i).manifest().chunkSize();
                    if (header.segments().isEmpty()) {
                        header.files().forEach(file -> countFile(file, chunkSize, sign));
                    }
                    for (int s = 0; s < header.segments().size(); s++) {
                        SegmentRef segment = header.segments().get(s);
                        // A segment's chunks count once however many task manifests share it: read when first or last.
                        if (countSegment(segment.sha256(), sign)) {
                            segmentReads.add(new SegmentRead(segment, chunkSize, "segment " + s + " of task manifest "
                                    + header.task() + " of backup " + header.backupId()));
                        }
                    }
                }
                manifestsRead += segmentReads.size();
                List<List<FileEntry>> segments = Futures.await(BoundedFanOut.map(segmentReads, READS_IN_FLIGHT,
                        read -> store.readSegment(read.ref(), read.chunkSize(), read.what())), "read segments");
                for (int i = 0; i < segmentReads.size(); i++) {
                    int chunkSize = segmentReads.get(i).chunkSize();
                    segments.get(i).forEach(file -> countFile(file, chunkSize, sign));
                }
                for (ModuleManifest manifest : batch) {
                    if (sign > 0) {
                        state.backups.put(manifest.backupId(), manifest.createdMillis());
                    } else {
                        state.backups.remove(manifest.backupId());
                    }
                }
            }
        }

        /** Whether the segment's count went from 0 to 1 or from 1 to 0. */
        private boolean countSegment(String sha, int sign) {
            int now = state.segments.getOrDefault(sha, 0) + sign;
            if (now < 0) {
                throw new Inconsistent("segment " + sha + " is referenced less than once");
            }
            if (now == 0) {
                state.segments.remove(sha);
                segmentCandidates.add(sha);
                return true;
            }
            state.segments.put(sha, now);
            return now == 1 && sign > 0;
        }

        private void countFile(FileEntry file, int chunkSize, int sign) {
            for (int i = 0; i < file.chunks().size(); i++) {
                String sha = file.chunks().get(i);
                int now = state.chunks.getOrDefault(sha, 0) + sign;
                if (now < 0) {
                    throw new Inconsistent("chunk " + sha + " is referenced less than once");
                }
                if (now == 0) {
                    state.chunks.remove(sha);
                    chunkCandidates.add(sha);
                    droppedSizes.put(sha, file.storedChunkSize(i, chunkSize));
                } else {
                    state.chunks.put(sha, now);
                }
            }
        }

        /** Chunks and segments in the store that nothing counted refers to: orphans of backups that never committed. */
        Run listOrphans() {
            forEachKey(StoreLayout.BLOBS, sha -> !state.chunks.containsKey(sha), chunkCandidates);
            forEachKey(StoreLayout.SEGMENTS, sha -> !state.segments.containsKey(sha), segmentCandidates);
            return this;
        }

        private void forEachKey(String prefix, Predicate<String> unreferenced, Set<String> into) {
            String token = null;
            do {
                KeysPage page = Futures.await(store.provider().listKeysRecursive(prefix, token), "list " + prefix);
                for (String key : page.keys()) {
                    String name = StoreLayout.chunkOf(key);
                    if (unreferenced.test(name)) {
                        into.add(name);
                    }
                }
                token = page.nextPageToken();
            } while (token != null);
        }

        List<String> deadChunks() {
            return chunkCandidates.stream().filter(sha -> !state.chunks.containsKey(sha)).sorted().toList();
        }

        /**
         * Task manifests of deleted and dead backups, and segments nothing refers to; listed once, when
         * the counting is done (the dead backups' keys take a listing each), for both the deletes and the report.
         */
        List<String> deadManifests() {
            if (deadManifestKeys == null) {
                List<String> keys = new ArrayList<>(doomedKeys);
                for (BackupId id : dead) {
                    keys.addAll(store.index().keysUnder(StoreLayout.backupPrefix(id)));
                }
                segmentCandidates.stream().filter(sha -> !state.segments.containsKey(sha)).sorted()
                        .map(StoreLayout::segmentKey).forEach(keys::add);
                deadManifestKeys = keys;
            }
            return deadManifestKeys;
        }

        private List<String> deadManifestKeys;

        /**
         * Writes the state, then deletes: module manifests first (the backups are gone from here on),
         * then their task manifests and dead segments, chunks, and last the index objects. The state
         * goes first so that a run that stops half-way leaves backups it no longer counts, which the
         * next run counts (and deletes) again, never counts of backups that are gone.
         */
        void delete() {
            List<String> manifests = deadManifests();
            freedBytes(); // the orphans' sizes are asked of the store while they are there
            byte[] bytes = state.encode(Math.max(0, loadedGeneration) + 1);
            Futures.await(store.provider().putObject(StoreLayout.GC_STATE_KEY, new ByteArrayInputStream(bytes), bytes.length),
                    "write " + StoreLayout.GC_STATE_KEY);
            deleteAll(doomed.keySet().stream().map(id -> StoreLayout.moduleManifestKey(BackupId.parse(id))).toList(),
                    "delete backups");
            deleteAll(manifests, "delete manifests");
            deleteAll(deadChunks().stream().map(StoreLayout::chunkKey).toList(), "delete chunks");
            deleteAll(new ArrayList<>(indexKeys), "delete index objects");
        }

        /**
         * {@code going} less the backups whose module manifest the store's lock still keeps: a backup stays
         * whole until its lock ends (its objects are locked no longer than its manifest), and is counted as kept.
         */
        private List<BackupId> withoutLocked(List<BackupId> going) {
            Optional<io.modbackup.api.provider.ObjectRetention> lock = store.provider().retention();
            if (lock.isEmpty() || going.isEmpty()) {
                return going;
            }
            List<Optional<java.time.Instant>> until = Futures.await(BoundedFanOut.map(going, READS_IN_FLIGHT,
                    id -> lock.get().lockedUntil(StoreLayout.moduleManifestKey(id))), "look up the locks of "
                    + going.size() + " backups");
            List<BackupId> unlocked = new ArrayList<>();
            for (int i = 0; i < going.size(); i++) {
                if (until.get(i).isPresent()) {
                    lockedBackups.put(going.get(i).toString(), until.get(i).get().toEpochMilli());
                    lockedUntilMillis = Math.max(lockedUntilMillis, until.get(i).get().toEpochMilli());
                } else {
                    unlocked.add(going.get(i));
                }
            }
            return unlocked;
        }

        /** Deletes {@code keys}; those the store's lock keeps are left and recorded (a later run meets them again). */
        private void deleteAll(List<String> keys, String what) {
            for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
                try {
                    Futures.await(store.provider().deleteObjects(new ArrayList<>(keys.subList(from,
                            Math.min(keys.size(), from + DELETE_BATCH)))), what);
                } catch (io.modbackup.api.provider.LockedObjectsException locked) {
                    lockedKeys.addAll(locked.locked().keySet());
                    lockedUntilMillis = Math.max(lockedUntilMillis, locked.lastUnlock().toEpochMilli());
                }
            }
        }

        GcReport report(boolean dryRun, long durationMillis, long exclusiveMillis) {
            long lockedChunks = deadChunks().stream().filter(sha -> lockedKeys.contains(StoreLayout.chunkKey(sha))).count();
            long lockedManifests = deadManifests().stream().filter(lockedKeys::contains).count();
            return new GcReport(dryRun, new ArrayList<>(doomed.keySet()), state.backups.size(),
                    deadChunks().size() - lockedChunks, deadManifests().size() - lockedManifests, freedBytes(),
                    durationMillis, manifestsRead, exclusiveMillis,
                    new GcReport.Locked(lockedBackups.size(), lockedKeys.size(), lockedUntilMillis));
        }

        private Map<String, Long> chunkSizes;

        /**
         * Bytes of the dead chunks: the content size a manifest records for those whose count fell to zero,
         * and the stored size for orphans, which no manifest names (one metadata request each; a chunk
         * gone meanwhile counts 0).
         */
        long freedBytes() {
            if (chunkSizes == null) {
                List<String> dead = deadChunks();
                chunkSizes = new HashMap<>();
                dead.stream().filter(droppedSizes::containsKey).forEach(sha -> chunkSizes.put(sha, droppedSizes.get(sha)));
                List<String> orphans = dead.stream().filter(sha -> !droppedSizes.containsKey(sha)).toList();
                List<Long> sizes = Futures.await(BoundedFanOut.map(orphans, READS_IN_FLIGHT,
                        sha -> store.provider().objectSize(StoreLayout.chunkKey(sha))), "size " + orphans.size() + " orphaned chunks");
                for (int i = 0; i < orphans.size(); i++) {
                    chunkSizes.put(orphans.get(i), Math.max(0, sizes.get(i)));
                }
            }
            // Chunks the store's lock kept were not freed (a later run frees them).
            return chunkSizes.entrySet().stream().filter(e -> !lockedKeys.contains(StoreLayout.chunkKey(e.getKey())))
                    .mapToLong(Map.Entry::getValue).sum();
        }
    }

    private record TaskRead(ModuleManifest manifest, TaskRef ref) {
    }

    private record SegmentRead(SegmentRef ref, int chunkSize, String what) {
    }
}
