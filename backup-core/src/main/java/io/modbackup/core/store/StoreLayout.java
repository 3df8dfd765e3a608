package io.modbackup.core.store;

/**
 * Every key of a backup store (keys of a {@link io.modbackup.api.provider.BackupProvider}); no other
 * class spells one:
 *
 * <pre>
 * cluster.json                                   the owner record: which cluster owns the store
 * format.json                                    the format record: format version, and the wrapped data key
 *                                                of an encrypted store
 * blobs/&lt;2 hex&gt;/&lt;content hash&gt;                    content-addressed chunks, immutable (SHA-256, or
 *                                                HMAC-SHA256 in an encrypted store)
 * backups/&lt;module&gt;/&lt;backupId&gt;/tasks/&lt;n&gt;.json      per-task manifest: offsets and its segments
 * manifests/&lt;2 hex&gt;/&lt;sha256 hex&gt;                 segments of task file lists, content-addressed, shared
 *                                                by every backup whose files in that run did not change
 * backups/&lt;module&gt;/&lt;backupId&gt;/backup.json        module manifest, written last: the commit
 * index/&lt;module&gt;/&lt;newest-first name&gt;              a module's backups newest first, one small object per
 *                                                backup, written before its commit (so listing reads a page)
 * index-complete/&lt;module&gt;                        every backup of the module has its index object
 * locks/&lt;backup|gc&gt;-&lt;id&gt;.json                     leases of backups and GC runs in progress
 * gc/last-run.json                               when the last GC started (the GC marker)
 * </pre>
 */
public final class StoreLayout {
    /** The owner record. */
    public static final String OWNER_KEY = "cluster.json";
    /** The format record ({@link io.modbackup.core.seal.StoreFormat}); absent in stores of format 1. */
    public static final String FORMAT_KEY = "format.json";
    /** Prefix of every chunk. */
    public static final String BLOBS = "blobs/";
    /** Prefix of every segment of a task's file list. */
    public static final String SEGMENTS = "manifests/";

    /** Prefix of every backup's manifests. */
    public static final String BACKUPS = "backups/";
    /** Prefix of the newest-first index of every module's backups. */
    public static final String INDEX = "index/";
    /** Prefix of the markers saying a module's index is complete (outside the index: listings never meet them). */
    public static final String INDEX_COMPLETE = "index-complete/";

    /** Prefix of every lease. */
    public static final String LOCKS = "locks/";
    /** The GC marker. */
    public static final String LAST_GC_KEY = "gc/last-run.json";
    /** GC's reference counts of the store, kept between runs so a run reads only what changed. */
    public static final String GC_STATE_KEY = "gc/state.bin";

    /** The name of a module manifest inside its backup's prefix. */
    public static final String MODULE_MANIFEST = "backup.json";
    private static final String LEASE_SUFFIX = ".json";
    private static final String GC_LEASE = "gc-";
    private static final String BACKUP_LEASE = "backup-";

    private StoreLayout() {
    }

    /** Key of the chunk whose content hash is {@code sha256} (lower-case hex; see {@link io.modbackup.core.hash.ContentHash}). */
    public static String chunkKey(String sha256) {
        return BLOBS + sha256.substring(0, 2) + "/" + sha256;
    }

    /** Key of the file-list segment with SHA-256 {@code sha256}. */
    public static String segmentKey(String sha256) {
        return SEGMENTS + sha256.substring(0, 2) + "/" + sha256;
    }

    /** The content hash a chunk key names. */
    public static String chunkOf(String chunkKey) {
        return chunkKey.substring(chunkKey.lastIndexOf('/') + 1);
    }

    /** The directory-like prefix holding all backups of {@code module}. */
    public static String modulePrefix(String module) {
        return BACKUPS + module + "/";
    }

    /** The prefix of one backup's objects. */
    public static String backupPrefix(BackupId id) {
        return modulePrefix(id.module()) + id + "/";
    }

    /** Key of a backup's module manifest, whose existence makes the backup exist. */
    public static String moduleManifestKey(BackupId id) {
        return backupPrefix(id) + MODULE_MANIFEST;
    }

    /** Key of a backup's manifest for task {@code task}. */
    public static String taskManifestKey(BackupId id, int task) {
        return backupPrefix(id) + "tasks/" + task + ".json";
    }

    /** The directory-like prefix of {@code module}'s newest-first index. */
    public static String indexPrefix(String module) {
        return INDEX + module + "/";
    }

    /**
     * Key of {@code id}'s index object: its creation time and suffix subtracted from their maximum, in
     * fixed-width hex, so that a listing in key order lists the newest backup first.
     */
    public static String indexKey(BackupId id) {
        return indexPrefix(id.module()) + String.format(java.util.Locale.ROOT, "%016X-%02X",
                Long.MAX_VALUE - id.createdMillis(), 0xFF - id.suffix());
    }

    /** Key of the marker of {@code module}'s complete index. */
    public static String indexCompleteKey(String module) {
        return INDEX_COMPLETE + module;
    }

    /** The backup an index name (the last segment of {@link #indexKey}) stands for, or null for another name. */
    public static BackupId backupOfIndexName(String module, String name) {
        if (name.length() != 19 || name.charAt(16) != '-') {
            return null;
        }
        try {
            long millis = Long.MAX_VALUE - Long.parseUnsignedLong(name.substring(0, 16), 16);
            int suffix = 0xFF - Integer.parseInt(name.substring(17), 16);
            return millis < 0 || suffix < 0 || suffix > 0xFF ? null : new BackupId(module, millis, suffix);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Key of the lease of backup {@code backupId}. */
    public static String backupLeaseKey(String backupId) {
        return LOCKS + BACKUP_LEASE + backupId + LEASE_SUFFIX;
    }

    /** Key of the lease of GC run {@code runId}. */
    public static String gcLeaseKey(String runId) {
        return LOCKS + GC_LEASE + runId + LEASE_SUFFIX;
    }

    /** Whether a lease key belongs to a GC run. */
    public static boolean isGcLease(String leaseKey) {
        return leaseKey.startsWith(LOCKS + GC_LEASE);
    }

    /** The holder a lease key names, e.g. {@code gc-<run>} or {@code backup-<id>}. */
    public static String leaseHolder(String leaseKey) {
        return leaseKey.substring(LOCKS.length(), leaseKey.length() - LEASE_SUFFIX.length());
    }
}
