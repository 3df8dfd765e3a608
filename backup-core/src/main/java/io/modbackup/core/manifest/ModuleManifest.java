package io.modbackup.core.manifest;

import io.modbackup.api.runtime.ModuleDescriptor;
import java.util.List;
import java.util.Map;

/**
 * A backup of one module; its existence in the store is what makes the backup exist.
 *
 * @param version format version, {@link ManifestCodec#VERSION}
 * @param backupId the backup's ID
 * @param module the module
 * @param clusterId the cluster that took it
 * @param createdMillis when the backup started
 * @param completedMillis when it was committed
 * @param restoreEpoch the module's restore epoch at the backup; previous-backup reuse needs it unchanged
 * @param chunkSize chunk size used, in bytes
 * @param descriptor the module: depots, PStates, topologies, dependencies, config overrides, dynamic options
 * @param commitIds per microbatch topology, the commit ID of every partition
 * @param jar the module jar
 * @param tasks every task's manifest, with its checksum
 * @param totals sizes and counts
 * @param checksum SHA-256 of this manifest serialized with {@code checksum = null}
 */
public record ModuleManifest(int version, String backupId, String module, String clusterId, long createdMillis,
                             long completedMillis, long restoreEpoch, int chunkSize, ModuleDescriptor descriptor,
                             Map<String, Long> commitIds, FileEntry jar, List<TaskRef> tasks, Totals totals,
                             String checksum) {
    public ModuleManifest {
        commitIds = Map.copyOf(commitIds);
        tasks = List.copyOf(tasks);
    }

    /** This manifest with {@code checksum} replaced. */
    public ModuleManifest withChecksum(String newChecksum) {
        return new ModuleManifest(version, backupId, module, clusterId, createdMillis, completedMillis, restoreEpoch,
                chunkSize, descriptor, commitIds, jar, tasks, totals, newChecksum);
    }
}
