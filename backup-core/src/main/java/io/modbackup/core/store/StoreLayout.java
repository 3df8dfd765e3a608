package io.modbackup.core.store;

/**
 * Where everything lives in a backup store (keys of a {@link io.modbackup.api.provider.BackupProvider}):
 *
 * <pre>
 * cluster.json                                   which cluster owns the store
 * blobs/&lt;2 hex&gt;/&lt;sha256 hex&gt;                     content-addressed chunks, immutable
 * backups/&lt;module&gt;/&lt;backupId&gt;/tasks/&lt;n&gt;.json      per-task manifest
 * backups/&lt;module&gt;/&lt;backupId&gt;/backup.json        module manifest, written last: the commit
 * </pre>
 */
public final class StoreLayout {
    public static final String CLUSTER_KEY = "cluster.json";
    public static final String BLOBS = "blobs/";
    public static final String BACKUPS = "backups/";
    public static final String MODULE_MANIFEST = "backup.json";

    private StoreLayout() {
    }

    /** Key of the chunk with SHA-256 {@code sha256} (lower-case hex). */
    public static String chunkKey(String sha256) {
        return BLOBS + sha256.substring(0, 2) + "/" + sha256;
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
}
