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
 * @param files the task's files, by path (in the stored form of version 2: empty, the files are in
 *     {@code segments})
 * @param segments version 2: the segments holding the files, in path order; empty in version 1 and
 *     once the segments are read into {@code files}
 * @param depotEndOffsets per depot, this task's partition end offset
 * @param processedOffsets per topology, per subscribed depot partition, the processed offset
 */
public record TaskManifest(int version, String module, String backupId, int task, List<FileEntry> files,
                           List<SegmentRef> segments, Map<String, Long> depotEndOffsets,
                           Map<String, Map<String, Long>> processedOffsets) {
    public TaskManifest {
        files = files == null ? List.of() : List.copyOf(files);
        segments = segments == null ? List.of() : List.copyOf(segments);
        depotEndOffsets = Map.copyOf(depotEndOffsets);
        processedOffsets = Map.copyOf(processedOffsets);
    }

    /** A manifest listing its files itself, without segments. */
    public TaskManifest(int version, String module, String backupId, int task, List<FileEntry> files,
                        Map<String, Long> depotEndOffsets, Map<String, Map<String, Long>> processedOffsets) {
        this(version, module, backupId, task, files, List.of(), depotEndOffsets, processedOffsets);
    }

    /** This manifest with its files read from its segments (kept, so the next backup can share them). */
    public TaskManifest withFiles(List<FileEntry> resolved) {
        return new TaskManifest(version, module, backupId, task, resolved, segments, depotEndOffsets, processedOffsets);
    }
}
