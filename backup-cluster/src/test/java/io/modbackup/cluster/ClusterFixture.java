package io.modbackup.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.ClusterSpec;
import io.modbackup.cluster.launch.LiveCheck;
import io.modbackup.cluster.node.Catalogs;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.sim.ConsistencyOracle;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SupervisorChannel;
import io.modbackup.sim.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A multi-process cluster for one test, with the oracle and leak checks the tests share. */
final class ClusterFixture implements AutoCloseable {
    static final String LOCAL_PROVIDER = "io.modbackup.core.provider.local.LocalDirectoryProvider";

    final ClusterProcesses processes;
    final ClusterAdmin admin;
    final Path scratch;
    private final List<ModuleDefinition> catalog;
    private final AtomicInteger checks = new AtomicInteger();

    ClusterFixture(ClusterSpec spec, Path scratch) {
        this.processes = ClusterProcesses.start(spec);
        this.admin = processes.admin();
        this.scratch = scratch;
        this.catalog = Catalogs.named(spec.catalog());
    }

    /** A seeded workload appending through the Conductor. */
    Workload workload(long seed) {
        return new Workload(admin::append, seed, 500, 256);
    }

    /** Checks a running module with the consistency oracle (see {@link LiveCheck}). */
    ConsistencyOracle.Report checkLive(String module) {
        return LiveCheck.check(processes, module, scratch.resolve("oracle-" + checks.incrementAndGet()));
    }

    /** The regular files under {@code dir}, none when it does not exist (for counts of what a store holds). */
    static List<Path> filesUnder(Path dir) {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(dir)) {
            return walk.filter(java.nio.file.Files::isRegularFile).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The local provider's writes in flight or not yet synced under {@code store}: temporary files and the
     * entries of its journals of unsynced writes, not the lock files that a live provider's journal and the
     * settling of crashed writers' journals keep (they hold nothing).
     */
    static List<Path> writesInFlight(Path store) {
        return filesUnder(store.resolve(".modbackup-tmp")).stream().filter(file -> {
            String name = file.getFileName().toString();
            boolean inJournals = file.toString().contains("/.modbackup-tmp/unsynced/");
            return !(inJournals && (name.equals("lock") || name.equals("settle.lock")));
        }).toList();
    }

    ModuleDefinition definition(String module) {
        return catalog.stream().filter(d -> d.name().equals(module)).findFirst().orElseThrow();
    }

    /** Pins, staging directories and install journals held by all Supervisors. */
    int leftovers() {
        return processes.supervisorIds().stream().map(processes::supervisor).mapToInt(s -> s.leftovers().total()).sum();
    }

    /** Per Supervisor, what it holds besides live state. */
    Map<String, SupervisorChannel.Leftovers> leftoversBySupervisor() {
        Map<String, SupervisorChannel.Leftovers> all = new TreeMap<>();
        processes.supervisorIds().forEach(id -> all.put(id, processes.supervisor(id).leftovers()));
        return all;
    }

    /** Waits for the Supervisors' cleanup (each heartbeat) to remove every leftover; fails after 10 s. */
    void awaitNoLeftovers() throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (leftovers() > 0 && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertTrue(leftovers() == 0, "leftovers remain: " + leftoversBySupervisor());
    }

    void awaitCaughtUp(String module) {
        assertTrue(admin.awaitCaughtUp(module, 60_000), module + " did not catch up within 60 s");
    }

    @Override
    public void close() {
        processes.close();
    }
}
