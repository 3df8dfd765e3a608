package io.modbackup.sim;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.sim.SupervisorChannel.InstallOrder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Supervisor's part of an install: the swap of staged tasks into live state, journaled under
 * {@code root/installs} before anything moves, so that a Supervisor restarted inside it finishes it
 * before it serves anything. The caller stops the module's tasks here first. Not thread-safe: the
 * host runs one swap at a time.
 */
final class SupervisorSwaps {
    private static final Logger log = LoggerFactory.getLogger(SupervisorSwaps.class);

    private final Supervisor supervisor;
    private final ModuleCode code;
    private final ClusterState journal;
    private volatile Consumer<String> steps = step -> { };

    SupervisorSwaps(Supervisor supervisor, ModuleCode code) {
        this.supervisor = supervisor;
        this.code = code;
        this.journal = new ClusterState(supervisor.root());
    }

    /** Hears each step of a swap by name ({@code journal-written}, {@code task-swapped-<n>}). */
    void onStep(Consumer<String> listener) {
        steps = listener;
    }

    /** Journals {@code order}, then carries it out; idempotent. Returns each swapped task's depot end offsets. */
    Map<Integer, Map<String, Long>> swap(InstallOrder order) {
        journal.writeJson(journalFile(order.module()), order);
        steps.accept("journal-written");
        return complete(order);
    }

    /** Carries out a journaled swap; idempotent. */
    private Map<Integer, Map<String, Long>> complete(InstallOrder order) {
        String module = order.module();
        Map<Integer, Map<String, Long>> ends = new TreeMap<>();
        try {
            for (int task : order.swap()) {
                Path staged = supervisor.existingStagingDirectory(module, order.restoreId(), task);
                Path live = supervisor.taskDirectory(module, task);
                if (Files.isDirectory(staged)) {
                    // Two renames per task, whatever its number of files: the old state out, the staged one in.
                    Files.createDirectories(live.getParent());
                    supervisor.retireTaskDirectory(module, task);
                    Files.move(staged, live, StandardCopyOption.ATOMIC_MOVE);
                    steps.accept("task-swapped-" + task);
                }
                Map<String, Long> taskEnds = new TreeMap<>();
                // Every version of a module has the same depots: an update cannot repartition state.
                for (String depot : code.named(module).orElseThrow(() -> new IllegalStateException(
                        "Supervisor " + supervisor.id() + " has no code for module " + module)).depots()) {
                    try (DepotPartition partition = DepotPartition.openReadOnly(live.resolve(TaskState.DEPOTS).resolve(depot))) {
                        taskEnds.put(depot, partition.endOffset());
                    }
                }
                ends.put(task, taskEnds);
            }
            for (int task : order.remove()) {
                supervisor.retireTaskDirectory(module, task);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot swap in restore " + order.restoreId() + " of " + module + " on "
                    + supervisor.id(), e);
        }
        supervisor.discardStaging(module, order.restoreId());
        FileTrees.deleteTree(journalFile(module));
        return ends;
    }

    void finishInterrupted() {
        Path dir = supervisor.root().resolve("installs");
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.sorted().toList()) {
                if (file.toString().endsWith(".json")) {
                    InstallOrder order = journal.readJson(file, InstallOrder.class);
                    log.warn("Supervisor {} finishes the swap of restore {} of {} that a crash interrupted", supervisor.id(),
                            order.restoreId(), order.module());
                    complete(order);
                } else {
                    FileTrees.deleteTree(file);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the install journal " + dir, e);
        }
    }

    private Path journalFile(String module) {
        return supervisor.root().resolve("installs").resolve(PathSegment.check("module name", module) + ".json");
    }
}
