package io.modbackup.sim;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.api.runtime.TopologyKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Supervisor's part of a cut, task by task, in the order the runtime SPI demands: first each PState
 * (pinned in place, see {@link PStateStore#pin}) and its topology progress, taken with the topologies
 * paused between steps, so microbatch partitions share one commit ID; then the depots, so every depot end offset is at or past
 * every offset a topology had processed. The Conductor drives the two phases across Supervisors
 * ({@link ConductorRuntime#captureCut}); {@link SupervisorHost} runs these steps on its tasks.
 */
final class TaskCapture {
    private TaskCapture() {
    }

    /**
     * One task's PStates checkpointed into a cut.
     *
     * @param files the checkpoints' files
     * @param processed per topology, the processed offsets the checkpoint reflects
     * @param commitIds per microbatch topology, the commit ID the checkpoint is at
     */
    record TaskCheckpoint(List<CapturedFile> files, Map<String, Map<String, Long>> processed,
                          Map<String, Long> commitIds) {
    }

    /**
     * Pins every PState store of {@code task} for the cut, each held until the cut is released ({@link
     * PStateStore#pin}, {@link Supervisor#unpinOnRelease}); call with the topologies paused.
     */
    static TaskCheckpoint checkpoint(Supervisor supervisor, String module, String cutId, TaskState task,
                                     ModuleDefinition definition) {
        Path cutDir = supervisor.cutDirectory(module, cutId, task.task());
        List<CapturedFile> taskFiles = new ArrayList<>();
        Map<String, Map<String, Long>> processed = new TreeMap<>();
        Map<String, Long> commitIds = new TreeMap<>();
        for (Map.Entry<String, PStateStore> store : task.stores().entrySet()) {
            String relative = TaskState.PSTATES + "/" + store.getKey();
            PStatePins.Pin pin = store.getValue().pin(cutDir.resolve(relative), relative);
            supervisor.unpinOnRelease(module, cutId, pin::release);
            PStateStore.Progress progress = store.getValue().progress();
            processed.put(store.getKey(), progress.processedOffsets());
            if (definition.topology(store.getKey()).kind() == TopologyKind.MICROBATCH) {
                commitIds.put(store.getKey(), progress.commitId());
            }
            taskFiles.addAll(pin.files());
        }
        return new TaskCheckpoint(taskFiles, processed, commitIds);
    }

    /**
     * Captures {@code task}'s depots into the cut after its PStates were checkpointed, registers all
     * its files with its Supervisor, and describes the task's part of the cut.
     */
    static TaskCut completeTask(Supervisor supervisor, String module, String cutId, TaskState task,
                                TaskCheckpoint checkpoint) {
        Path pinnedState = supervisor.pinTaskState(module, cutId, task.task());
        Map<String, Long> ends = new TreeMap<>();
        // In path order, without a copy of the depots' lists (which make their entries as they are read):
        // the depots by path prefix, each in segment order, then the PState files ("depots/" < "pstates/").
        TreeMap<String, List<CapturedFile>> depotFiles = new TreeMap<>();
        long bytes = 0;
        for (Map.Entry<String, DepotPartition> depot : task.depots().entrySet()) {
            String relative = TaskState.DEPOTS + "/" + depot.getKey() + "/";
            DepotPartition.Capture capture = depot.getValue().capture(
                    pinnedState.resolve(TaskState.DEPOTS).resolve(depot.getKey()), relative);
            depotFiles.put(relative, capture.files());
            ends.put(depot.getKey(), capture.endOffset());
            bytes += capture.bytes();
        }
        List<CapturedFile> pstateFiles = new ArrayList<>(checkpoint.files());
        pstateFiles.sort(java.util.Comparator.comparing(CapturedFile::path));
        List<List<CapturedFile>> parts = new ArrayList<>(depotFiles.values());
        parts.add(pstateFiles);
        List<CapturedFile> taskFiles = new ConcatenatedList<>(parts);
        supervisor.registerCut(module, cutId, task.task(), taskFiles);
        for (CapturedFile file : pstateFiles) {
            bytes += file.size();
        }
        return new TaskCut(task.task(), supervisor.id(), ends, checkpoint.processed(), checkpoint.commitIds(), taskFiles.size(),
                bytes);
    }

    /** Adds a task's commit ID of a microbatch topology, refusing one that differs from another task's. */
    static void mergeCommitId(Map<String, Long> commitIds, String topology, long commitId) {
        commitIds.merge(topology, commitId, (a, b) -> {
            if (!a.equals(b)) {
                throw new IllegalStateException("microbatch topology " + topology
                        + " is not at one commit ID across tasks: " + a + " and " + b);
            }
            return a;
        });
    }

}
