package io.modbackup.core.engine;

import io.modbackup.api.provider.ObjectRetention;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.StoreLayout;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every object a backup reaches locked until at least the backup's time plus the store's retention
 * period, on a store with an {@link ObjectRetention} lock, extending what the backup reuses only when due:
 *
 * <p>Time is cut into epochs of half a period. A backup started in epoch {@code k} needs its objects locked
 * until {@code (k + 3)} half periods, which is past its end plus a period. Objects it creates are locked
 * that long by the store. Objects it reuses from a backup started in the same epoch, and locked (a backup
 * made under the lock), are too, by induction; otherwise, and whenever it looked chunks up outside its
 * predecessors, it extends every object it reaches to that time. So a module's objects are extended once
 * per half period, about one request each, whatever the number of backups.
 */
final class RetentionExtension {
    private static final Logger log = LoggerFactory.getLogger(RetentionExtension.class);

    private final ObjectRetention lock;
    private final BackupStore store;

    RetentionExtension(ObjectRetention lock, BackupStore store) {
        this.lock = lock;
        this.store = store;
    }

    /**
     * Before {@code manifest} (not yet committed) commits: extends the locks of what it reaches when due.
     *
     * @return the number of objects extended, 0 when none was due
     */
    int keepLocked(ModuleManifest manifest, ModuleBackup.Predecessors previous) {
        long half = Math.max(1, lock.period().toMillis() / 2);
        long epoch = manifest.createdMillis() / half;
        long until = (epoch + 3) * half;
        boolean due = previous.probeUnknownChunks() || !lockedInEpoch(previous.reusable(), epoch, half)
                || previous.chunkSource() != previous.reusable() && !lockedInEpoch(previous.chunkSource(), epoch, half);
        if (manifest.completedMillis() + lock.period().toMillis() > until) {
            // A backup that ran longer than half a period: its target moves with its end.
            until = (manifest.completedMillis() / half + 3) * half;
            due = true;
        }
        if (!due) {
            return 0;
        }
        BackupStore.Reach reach = store.reach(manifest, file -> { });
        if (!reach.unreadable().isEmpty()) {
            throw new CorruptBackupException("cannot extend the lock of backup " + manifest.backupId() + ": "
                    + reach.unreadable().get(0));
        }
        List<String> keys = new ArrayList<>(reach.chunks().size() + reach.segments().size() + manifest.tasks().size());
        reach.chunks().keySet().forEach(sha -> keys.add(StoreLayout.chunkKey(sha)));
        reach.segments().forEach(sha -> keys.add(StoreLayout.segmentKey(sha)));
        manifest.tasks().stream().map(TaskRef::key).forEach(keys::add);
        Instant target = Instant.ofEpochMilli(until);
        Futures.await(lock.extend(keys, target), "extend the lock of the " + keys.size() + " objects of backup "
                + manifest.backupId());
        log.info("backup {}: locked its {} objects until {} (the store's retention is {})", manifest.backupId(),
                keys.size(), target, lock.period());
        return keys.size();
    }

    /** Whether what {@code source} reaches is locked until this epoch's target: it was made in it, under the lock. */
    private boolean lockedInEpoch(ModuleManifest source, long epoch, long half) {
        if (source == null) {
            return true; // nothing reused
        }
        if (source.createdMillis() / half != epoch) {
            return false;
        }
        String key = StoreLayout.moduleManifestKey(BackupId.parse(source.backupId()));
        return Futures.await(lock.lockedUntil(key), "look up the lock of " + key).isPresent();
    }
}
