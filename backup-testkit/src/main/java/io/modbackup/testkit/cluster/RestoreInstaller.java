package io.modbackup.testkit.cluster;

import io.modbackup.api.runtime.ClusterRuntime.RestoreRequest;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.testkit.cluster.InstallJournal.InstallIntent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Swaps a restore's staged state into a module: checks that every task is staged, journals the intent,
 * stops the module, moves each task's staged directory over its live one, installs the jar, records the
 * module and its new restore marker, and starts it. {@link #complete} is idempotent, so a crash
 * anywhere after the intent is finished by running it again on restart.
 */
final class RestoreInstaller {
    private final SimulatedCluster cluster;
    private final ClusterState state;
    private final InstallJournal journal;
    private volatile Consumer<String> steps = step -> { };

    RestoreInstaller(SimulatedCluster cluster, ClusterState state, InstallJournal journal) {
        this.cluster = cluster;
        this.state = state;
        this.journal = journal;
    }

    /** Hears each step by name, to crash there in tests. */
    void onStep(Consumer<String> listener) {
        this.steps = listener;
    }

    RestoreMarker install(RestoreRequest request) {
        ModuleDescriptor restored = request.descriptor();
        String module = restored.name();
        ModuleDefinition definition = cluster.codeOf(request.stagedJar());
        if (definition == null || !definition.name().equals(module)) {
            throw new IllegalArgumentException("the restored jar of module " + module + " (" + request.stagedJar().getFileName()
                    + ") carries code this cluster does not have");
        }
        if (definition.taskCount() != restored.taskCount()) {
            throw new IllegalArgumentException("module " + module + " has " + definition.taskCount()
                    + " tasks in its code but the backup has " + restored.taskCount());
        }
        for (Map.Entry<Integer, String> task : request.placement().entrySet()) {
            Path staged = cluster.supervisor(task.getValue()).existingStagingDirectory(module, request.restoreId(), task.getKey());
            if (!Files.isDirectory(staged)) {
                throw new IllegalStateException("task " + task.getKey() + " of module " + module
                        + " has nothing staged on " + task.getValue() + " for restore " + request.restoreId());
            }
        }
        Map<Integer, String> previous = cluster.placement(module);
        Parallelism parallelism = request.parallelism();
        if (parallelism == null) {
            ModuleDescriptor current = cluster.describe(module).orElseThrow(() -> new IllegalArgumentException(
                    "module " + module + " is not deployed: give a parallelism to restore it"));
            parallelism = current.parallelism();
        }
        long epoch = cluster.restoreMarker(module).map(RestoreMarker::epoch).orElse(0L) + 1;
        InstallIntent intent = new InstallIntent(request.restoreId(), request.backupId(),
                restored.withDeployment(true, parallelism), Map.copyOf(request.placement()),
                previous == null ? Map.of() : previous, epoch);
        journal.begin(intent, request.stagedJar());
        steps.accept("intent-written");
        cluster.closeInstance(module);
        Installed installed = complete(intent);
        installed.instance().start();
        return installed.marker();
    }

    /** A finished install: the module's new (not yet started) instance and its restore marker. */
    record Installed(ModuleInstance instance, RestoreMarker marker) {
    }

    /** Carries out an install's intent; idempotent. */
    Installed complete(InstallIntent intent) {
        String module = intent.descriptor().name();
        ModuleDefinition journaled = cluster.codeOf(journal.stagedJar(intent));
        ModuleDefinition definition = journaled != null ? journaled : cluster.definition(module);
        try {
            for (Map.Entry<Integer, String> task : new TreeMap<>(intent.placement()).entrySet()) {
                Supervisor supervisor = cluster.supervisor(task.getValue());
                Path staged = supervisor.existingStagingDirectory(module, intent.restoreId(), task.getKey());
                if (Files.isDirectory(staged)) {
                    Path live = supervisor.taskDirectory(module, task.getKey());
                    Files.createDirectories(live.getParent());
                    Files2.deleteRecursively(live);
                    Files.move(staged, live, StandardCopyOption.ATOMIC_MOVE);
                    steps.accept("task-swapped-" + task.getKey());
                }
            }
            for (Map.Entry<Integer, String> old : intent.previousPlacement().entrySet()) {
                if (!old.getValue().equals(intent.placement().get(old.getKey()))) {
                    Files2.deleteRecursively(cluster.supervisor(old.getValue()).taskDirectory(module, old.getKey()));
                }
            }
            state.installJar(journal.stagedJar(intent), module, intent.descriptor().jarName());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install restored state of module " + module, e);
        }
        // The restored ends, read from disk before the module's instance is published: once it is, a client's
        // append could land first and move an end past the restored one.
        Map<String, List<Long>> ends = new TreeMap<>();
        for (String depot : definition.depots()) {
            List<Long> partitionEnds = new ArrayList<>();
            for (int task = 0; task < definition.taskCount(); task++) {
                Path dir = cluster.supervisor(intent.placement().get(task)).taskDirectory(module, task)
                        .resolve(TaskState.DEPOTS).resolve(depot);
                try (DepotPartition partition = DepotPartition.openReadOnly(dir)) {
                    partitionEnds.add(partition.endOffset());
                }
            }
            ends.put(depot, partitionEnds);
        }
        ModuleInstance instance = cluster.recordInstalled(intent.descriptor(), definition, intent.placement(),
                () -> steps.accept("module-recorded"));
        RestoreMarker marker = new RestoreMarker(module, intent.epoch(), intent.backupId(), System.currentTimeMillis(), ends);
        cluster.recordMarker(marker);
        steps.accept("marker-written");
        for (Supervisor supervisor : cluster.supervisors()) {
            supervisor.discardStagingNow(module, intent.restoreId());
        }
        journal.finish(module);
        return new Installed(instance, marker);
    }
}
