package io.modbackup.core.manifest;

import java.util.List;
import java.util.Map;

/**
 * What one task needs to be restored: its files and the positions they hold.
 *
 * @param version format version, {@link ManifestCodec#VERSION}
 * @param module the module
 * @param backupId the backup
 * @param task the task number
 * @param files the task's files, by path
 * @param depotEndOffsets per depot, this task's partition end offset
 * @param processedOffsets per topology, per subscribed depot partition, the processed offset
 */
public record TaskManifest(int version, String module, String backupId, int task, List<FileEntry> files,
                           Map<String, Long> depotEndOffsets, Map<String, Map<String, Long>> processedOffsets) {
    public TaskManifest {
        files = List.copyOf(files);
        depotEndOffsets = Map.copyOf(depotEndOffsets);
        processedOffsets = Map.copyOf(processedOffsets);
    }
}
