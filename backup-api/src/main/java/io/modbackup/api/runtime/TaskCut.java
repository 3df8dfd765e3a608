package io.modbackup.api.runtime;

import java.util.Map;

/**
 * What one task's part of a consistent cut holds.
 *
 * @param task the task (partition) number
 * @param supervisorId the Supervisor holding the task's pinned files
 * @param depotEndOffsets per depot of the module, the end offset (next offset to be written) of this
 *     task's partition at the cut
 * @param processedOffsets per topology of the module, per subscribed depot partition
 *     ({@code module/depot/partition}), the offset up to which the cut's PStates reflect entries
 * @param commitIds per microbatch topology, the commit ID this task's captured PStates are at, as read
 *     from what was captured; every task of a cut must report the cut's
 *     {@link CutDescriptor#microbatchCommitIds()}, and the engine refuses a cut where one does not
 * @param fileCount number of captured files
 * @param totalBytes total bytes of the captured files
 */
public record TaskCut(int task, String supervisorId, Map<String, Long> depotEndOffsets,
                      Map<String, Map<String, Long>> processedOffsets, Map<String, Long> commitIds, int fileCount,
                      long totalBytes) {
    public TaskCut {
        depotEndOffsets = Map.copyOf(depotEndOffsets);
        processedOffsets = Map.copyOf(processedOffsets);
        commitIds = commitIds == null ? Map.of() : Map.copyOf(commitIds);
    }
}
