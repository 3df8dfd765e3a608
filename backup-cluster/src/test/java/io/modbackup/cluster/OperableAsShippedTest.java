package io.modbackup.cluster;

import static io.modbackup.sim.SampleModules.MODULE_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cluster.launch.ClusterCommand;
import io.modbackup.cluster.launch.ClusterProcesses;
import io.modbackup.cluster.launch.RemoteCli;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.sim.Workload;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster as an operator runs it: {@code bin/cluster} and {@code bin/backup} (their main classes, each
 * command its own JVM, output into files as into a pipe), with the shipped defaults (heartbeat timeout 5 s,
 * call deadline 10 s), under SIGSTOP, SIGKILL and concurrent commands.
 */
class OperableAsShippedTest {
    /** The shipped heartbeat timeout, which bounds how long a frozen Supervisor holds an operation. */
    private static final Duration HEARTBEAT = ConductorProcess.DEFAULT_HEARTBEAT_TIMEOUT;
    /**
     * Beyond the heartbeat timeout, what a failure may take to reach the user: the checker's 200 ms,
     * the client's 1 s poll, and a JVM's exit on a loaded 2-core machine. The point is seconds, not the
     * ten minutes this took before.
     */
    private static final Duration MARGIN = Duration.ofSeconds(5);
    private static final Pattern COMMITTED = Pattern.compile("backup (\\S+) committed");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    /** Runs a shipped main class in its own JVM, as bin/cluster and bin/backup do, and waits for its end. */
    private Run run(Class<?> main, String... args) throws IOException, InterruptedException {
        Process process = launch(main, args);
        assertTrue(process.waitFor(3, TimeUnit.MINUTES), main.getSimpleName() + " " + List.of(args) + " ended");
        return finished(process);
    }

    private int launched;
    private final java.util.Map<Process, Integer> outputs = new java.util.HashMap<>();

    private Process launch(Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        int n = ++launched;
        Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("run-" + n + ".out").toFile())
                .redirectError(dir.resolve("run-" + n + ".err").toFile()).start();
        outputs.put(process, n);
        return process;
    }

    /** What a launched process printed, once it ended. */
    private Run finished(Process process) throws IOException {
        int n = outputs.get(process);
        return new Run(process.exitValue(), Files.readString(dir.resolve("run-" + n + ".out")),
                Files.readString(dir.resolve("run-" + n + ".err")));
    }

    /** What a launched process printed to stderr so far. */
    private String printed(Process process) {
        try {
            return Files.readString(dir.resolve("run-" + outputs.get(process) + ".err"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The cluster the commands act on: DIR/home, or another for a test of two clusters. */
    private Path home = null;

    private Path home() {
        return home != null ? home : dir.resolve("home");
    }

    private Run cluster(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(1, home().toString());
        return run(ClusterCommand.class, all.toArray(String[]::new));
    }

    private String[] backupArgs(String... args) {
        List<String> all = new ArrayList<>(List.of(args).contains("--config") ? List.of()
                : List.of("--config", home().resolve("modbackup.yaml").toString()));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    private Run backup(String... args) throws IOException, InterruptedException {
        return run(RemoteCli.class, backupArgs(args));
    }

    /** bin/backup's own code in this JVM: for a command that must reach the Conductor within milliseconds. */
    private Run backupHere(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RemoteCli.run(List.of(backupArgs(args)), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private ClusterAdmin admin() {
        return ClusterProcesses.attach(home().resolve("cluster")).admin();
    }

    private long pid(String node) {
        return Endpoint.read(home().resolve("cluster").resolve(node)).orElseThrow().pid();
    }

    private static void signal(long pid, String signal) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }

    /** Polls {@code condition} every 20 ms for up to a minute (a condition, not a sleep, decides). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    /** The running operation of {@code kind} on module A, once the Conductor runs one. */
    private OperationRecord awaitRunning(String kind) throws InterruptedException {
        OperationRecord[] found = new OperationRecord[1];
        ClusterAdmin admin = admin();
        await("a " + kind + " runs", () -> {
            Optional<OperationRecord> running = admin.operations(MODULE_A, 5).stream()
                    .filter(r -> r.kind().equals(kind) && r.state() == OperationRecord.State.RUNNING).findFirst();
            running.ifPresent(r -> found[0] = r);
            return running.isPresent();
        });
        return found[0];
    }

    private void fillModuleA(int entries, int paddingBytes) {
        ClusterAdmin admin = admin();
        try (Workload workload = new Workload(admin::append, 11, 500, paddingBytes)) {
            // In calls of about 4 MiB: one call's body is at most 16 MiB.
            int perCall = Math.max(1, (4 << 20) / paddingBytes);
            for (int done = 0; done < entries; done += perCall) {
                workload.appendBatch(MODULE_A, "*events", Math.min(perCall, entries - done));
            }
        }
        assertTrue(admin.awaitCaughtUp(MODULE_A, 120_000), "module A caught up");
    }

    private static String committed(Run backup) {
        assertEquals(0, backup.code(), backup.out() + backup.err());
        Matcher m = COMMITTED.matcher(backup.out());
        assertTrue(m.find(), backup.out());
        return m.group(1);
    }

    private static List<String> errorLines(Run run) {
        return run.err().lines().filter(l -> l.startsWith("error: ")).toList();
    }

    @Test
    void aSecondRestoreIsRefusedAndAFrozenSupervisorFailsARestoreAndABackupWithinTheHeartbeatTimeout() throws Exception {
        assertEquals(0, cluster("start", "--supervisors", "3").code());
        try {
            // Enough data that a restore and a backup take well over the milliseconds the test needs to act.
            fillModuleA(3000, 16 * 1024);
            String full = committed(backup("--action", "backup", "--module", MODULE_A));

            Process first = launch(RemoteCli.class, backupArgs("--action", "restore", "--backupId", full, "--yes"));
            OperationRecord restoring = awaitRunning("restore");
            signal(pid("supervisor-2"), "STOP");
            long frozenAt = System.nanoTime();
            Run second = backupHere("--action", "restore", "--backupId", full, "--yes");
            assertEquals(1, second.code(), second.err());
            assertEquals(List.of("error: module " + MODULE_A + " has operation " + restoring.describe() + " running: follow"
                    + " it with bin/backup --action status --module " + MODULE_A + ", or add --wait to start once it ends"),
                    second.err().lines().toList());

            assertTrue(first.waitFor(HEARTBEAT.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS),
                    "the restore waiting on a frozen Supervisor ends within the heartbeat timeout and a margin");
            long restoreFailedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
            Run restore = finished(first);
            assertEquals(1, restore.code(), restore.err());
            assertEquals(1, errorLines(restore).size(), restore.err());
            assertTrue(errorLines(restore).get(0).contains("Supervisor supervisor-2 (pid " + pid("supervisor-2")
                    + ") is down: no heartbeat for"), restore.err());
            assertTrue(restore.err().startsWith(restoring.id() + " restore: "), "progress came first: " + restore.err());
            System.out.printf("restore failed %d ms after its Supervisor froze%n", restoreFailedMillis);

            signal(pid("supervisor-2"), "CONT");
            await("supervisor-2 reports again", () -> admin().info().down().isEmpty());
            Process backingUp = launch(RemoteCli.class, backupArgs("--action", "backup", "--module", MODULE_A));
            OperationRecord backup = awaitRunning("backup");
            signal(pid("supervisor-1"), "STOP");
            frozenAt = System.nanoTime();
            assertTrue(backingUp.waitFor(HEARTBEAT.plus(MARGIN).toMillis(), TimeUnit.MILLISECONDS),
                    "the backup waiting on a frozen Supervisor ends within the heartbeat timeout and a margin");
            long backupFailedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
            Run failed = finished(backingUp);
            assertEquals(1, failed.code(), failed.err());
            List<String> lines = failed.err().lines().toList();
            assertTrue(lines.size() >= 2 && lines.get(0).startsWith(backup.id() + " backup: "), failed.err());
            assertEquals(List.of(lines.get(lines.size() - 1)), errorLines(failed), "one error, on a line of its own");
            assertTrue(lines.get(lines.size() - 1).contains("Supervisor supervisor-1 (pid " + pid("supervisor-1")
                    + ") is down"), failed.err());
            System.out.printf("backup failed %d ms after its Supervisor froze, %d progress lines%n", backupFailedMillis,
                    lines.size() - 1);

            signal(pid("supervisor-1"), "CONT");
            await("supervisor-1 reports again", () -> admin().info().down().isEmpty());
            committed(backup("--action", "backup", "--module", MODULE_A));
            Run status = backup("--action", "status", "--module", MODULE_A);
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().contains("failed     " + backup.describe()), status.out());
            assertTrue(status.out().contains("failed     " + restoring.describe()), status.out());
            assertEquals(0, cluster("status").code());
        } finally {
            cluster("stop");
        }
    }

    @Test
    void aKilledSupervisorIsReportedDownAndRestartedAndAKilledConductorRecoversWithoutOrphans() throws Exception {
        Run started = cluster("start", "--supervisors", "3");
        assertEquals(0, started.code(), started.err());
        Set<Long> pids = new TreeSet<>();
        try {
            for (String node : List.of(ConductorProcess.NODE, "supervisor-0", "supervisor-1", "supervisor-2")) {
                pids.add(pid(node));
            }
            Run again = cluster("start");
            assertEquals(1, again.code());
            assertTrue(again.err().startsWith("error: nodes of the cluster in " + home() + " still run: conductor (pid "),
                    again.err());

            long killed = pid("supervisor-1");
            ProcessHandle victim = ProcessHandle.of(killed).orElseThrow();
            victim.destroyForcibly();
            victim.onExit().join();
            Run status = cluster("status");
            assertEquals(1, status.code(), status.out());
            assertTrue(status.out().contains("supervisor-1  DOWN  not running (process " + killed + " is gone)"),
                    status.out());
            assertTrue(status.out().contains("1 of 4 nodes down"), status.out());
            Run refused = backup("--action", "backup", "--module", MODULE_A);
            assertEquals(1, refused.code());
            assertTrue(errorLines(refused).get(0).contains("supervisor-1"), refused.err());

            Run restarted = cluster("restart", "supervisor-1");
            assertEquals(0, restarted.code(), restarted.err());
            assertEquals("started supervisor-1 (pid " + pid("supervisor-1") + ")", restarted.out().strip());
            pids.add(pid("supervisor-1"));
            assertEquals(0, cluster("status").code());
            fillModuleA(2000, 8 * 1024);
            String backupId = committed(backup("--action", "backup", "--module", MODULE_A));

            Process restoring = launch(RemoteCli.class, backupArgs("--action", "restore", "--backupId", backupId, "--yes"));
            OperationRecord restore = awaitRunning("restore");
            await("the client shows the restore's progress", () -> printed(restoring).startsWith(restore.id() + " restore: "));
            ProcessHandle conductor = ProcessHandle.of(pid(ConductorProcess.NODE)).orElseThrow();
            conductor.destroyForcibly();
            conductor.onExit().join();
            assertTrue(restoring.waitFor(1, TimeUnit.MINUTES));
            Run lost = finished(restoring);
            assertEquals(1, lost.code());
            assertEquals(1, errorLines(lost).size(), lost.err());
            assertTrue(errorLines(lost).get(0).startsWith("error: lost the Conductor of the cluster in "
                    + home().resolve("cluster") + " while operation " + restore.describe() + " ran"), lost.err());

            Run truth = cluster("status");
            assertEquals(1, truth.code());
            assertTrue(truth.out().contains("conductor     DOWN  "), truth.out());
            assertEquals(3, truth.out().lines().filter(l -> l.matches("  supervisor-\\d  +up .*")).count(), truth.out());
            Run over = cluster("start");
            assertEquals(1, over.code(), "start refuses over the live Supervisors");
            for (int i = 0; i < 3; i++) {
                assertTrue(Files.exists(home().resolve("cluster").resolve("supervisor-" + i).resolve("endpoint.json")),
                        "start left supervisor-" + i + "'s record");
            }

            assertEquals(0, cluster("restart", ConductorProcess.NODE).code());
            pids.add(pid(ConductorProcess.NODE));
            await("every Supervisor rejoined", () -> admin().info().supervisors().size() == 3);
            Run history = backup("--action", "status", "--module", MODULE_A);
            assertTrue(history.out().contains("interrupted " + restore.describe()), history.out());
            committed(backup("--action", "backup", "--module", MODULE_A));
            assertEquals(0, cluster("status").code());
        } finally {
            Run stopped = cluster("stop");
            assertEquals(0, stopped.code(), stopped.err());
        }
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " was stopped");
        }
        String clusterDir = home().resolve("cluster").toString();
        List<Long> left = ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(clusterDir)).orElse(false))
                .map(ProcessHandle::pid).toList();
        assertEquals(List.of(), left, "no process of the cluster is left");
    }

    @Test
    void aNewClusterStartedOnAnOldStoreRestoresItsBackupsAndRefusesAConfigOfAnotherStore() throws Exception {
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        home = first;
        assertEquals(0, cluster("start", "--supervisors", "2", "--compression", "zstd:3").code());
        String backupId;
        Map<Integer, Long> backedUp;
        try {
            fillModuleA(400, 1024);
            backupId = committed(backup("--action", "backup", "--module", MODULE_A));
            backedUp = admin().depotEndOffsets(MODULE_A, "*events");
        } finally {
            assertEquals(0, cluster("stop").code());
        }

        home = second;
        Run started = cluster("start", "--supervisors", "2", "--config", first.resolve("modbackup.yaml").toString());
        assertEquals(0, started.code(), started.err());
        try {
            String config = Files.readString(second.resolve("modbackup.yaml"));
            assertTrue(config.contains("backup.provider: \"" + ClusterFixture.LOCAL_PROVIDER + " " + first.resolve("store")
                    + "\"\nbackup.compression: \"zstd:3\"\n"), "every node and the CLI use the first store: " + config);
            Run list = backup("--action", "list", "--module", MODULE_A);
            assertTrue(list.out().startsWith(backupId + "  "), list.out());
            Run restored = backup("--action", "restore", "--backupId", backupId, "--yes");
            assertEquals(0, restored.code(), restored.err());
            assertTrue(restored.out().startsWith("restored " + backupId + ": "), restored.out());
            assertEquals(backedUp, admin().depotEndOffsets(MODULE_A, "*events"), "the new cluster holds the old one's depots");

            Run refused = backup("--action", "backup", "--module", MODULE_A);
            assertEquals(1, refused.code());
            assertEquals(1, errorLines(refused).size(), refused.err());
            assertTrue(errorLines(refused).get(0).startsWith("error: the backup store belongs to another cluster (its"),
                    refused.err());
            committed(backup("--action", "backup", "--module", MODULE_A, "--takeover"));

            Run mismatch = backup("--config", first.resolve("modbackup.yaml").toString(), "--action", "list", "--module",
                    MODULE_A);
            assertEquals(1, mismatch.code(), "the first cluster's config names its directory, whose Conductor is gone");
            Path other = Files.writeString(dir.resolve("other.yaml"), "backup.provider: \"" + ClusterFixture.LOCAL_PROVIDER
                    + " " + dir.resolve("elsewhere") + "\"\ncluster.dir: " + second.resolve("cluster") + "\n");
            Run elsewhere = backup("--config", other.toString(), "--action", "list", "--module", MODULE_A);
            assertEquals(1, elsewhere.code());
            assertEquals(List.of("error: the config sets backup.provider to \"" + ClusterFixture.LOCAL_PROVIDER + " "
                    + dir.resolve("elsewhere") + "\" but the nodes of cluster " + admin().info().clusterId() + " use \""
                    + ClusterFixture.LOCAL_PROVIDER + " " + first.resolve("store") + "\": use the config bin/cluster start"
                    + " wrote (DIR/modbackup.yaml), or start the cluster with the store settings you want"),
                    elsewhere.err().lines().toList());
        } finally {
            assertEquals(0, cluster("stop").code());
        }
    }
}
