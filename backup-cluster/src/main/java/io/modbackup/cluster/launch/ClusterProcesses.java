package io.modbackup.cluster.launch;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.cluster.node.ProcessProbe;
import io.modbackup.cluster.node.RuntimeService;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.cluster.rpc.RpcSecret;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.sim.SupervisorChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Starts and controls the processes of a multi-process cluster on this machine: one Conductor JVM and
 * one JVM per Supervisor, each logging to {@code <cluster>/<node>.log}. Tests use it to kill
 * ({@code SIGKILL}), pause ({@code SIGSTOP}), resume ({@code SIGCONT}) and restart nodes; the demo and
 * {@code bin/cluster} to run a cluster in the background. Processes it started outlive it unless
 * {@link #close()} stops them.
 */
public final class ClusterProcesses implements AutoCloseable {
    private final ClusterSpec spec;
    private final JsonRpcClient rpc;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final ClusterAdmin admin;

    private ClusterProcesses(ClusterSpec spec, RpcSecret secret) {
        this.spec = spec;
        this.rpc = new JsonRpcClient(secret);
        this.admin = rpc.proxy(ClusterAdmin.class, "admin", "the Conductor of " + spec.dir(),
                () -> Endpoint.read(spec.dir().resolve(ConductorProcess.NODE))
                        .orElseThrow(() -> new IllegalStateException("no Conductor is running in " + spec.dir())).uri(),
                m -> Duration.ofMinutes(5));
    }

    /**
     * Starts the Conductor and every Supervisor and waits until every Supervisor reported to the
     * Conductor. The cluster's directory is made {@code 0700}; its RPC secret is created on its first start.
     */
    public static ClusterProcesses start(ClusterSpec spec) {
        // The cluster's directory holds every node's state, staging, logs and config, and its RPC secret:
        // only its user may enter it.
        PrivateFiles.createDirectories(spec.dir());
        PrivateFiles.checkOwnDirectory(spec.dir());
        ClusterProcesses cluster = new ClusterProcesses(spec, RpcSecret.createIfAbsent(spec.dir()));
        try {
            cluster.startConductor();
            cluster.startSupervisors(cluster.supervisorIds(), List.of());
            cluster.awaitSupervisors(Duration.ofSeconds(60));
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * A handle on the cluster already running in {@code dir} (started by another process), to call its
     * Conductor; it controls no process.
     */
    public static ClusterProcesses attach(Path dir) {
        ClusterSpec spec = ClusterSpec.of(dir, 0, "");
        return new ClusterProcesses(spec, RpcSecret.read(spec.dir()));
    }

    /**
     * A handle on the cluster of {@code spec} that may already run in part (started by another
     * process): it can start its missing nodes ({@link #startNode}); it stops only those it started.
     */
    public static ClusterProcesses of(ClusterSpec spec) {
        PrivateFiles.checkOwnDirectory(spec.dir());
        return new ClusterProcesses(spec, RpcSecret.read(spec.dir()));
    }

    /**
     * Starts one node ("conductor" or a Supervisor ID) that is not running, and waits until it serves
     * and, for a Supervisor, until the Conductor counts it as joined.
     */
    public void startNode(String node, Duration timeout) {
        restart(node, List.of());
        if (!node.equals(ConductorProcess.NODE)) {
            awaitJoined(node, timeout);
        }
    }

    /** Waits until Supervisor {@code id}'s current incarnation reported to the Conductor. */
    public void awaitJoined(String id, Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < until) {
            try {
                Endpoint current = Endpoint.read(supervisorRoot(id)).orElse(null);
                if (current != null && current.equals(admin.info().supervisors().get(id))) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            sleep(100);
        }
        throw new IllegalStateException(id + " did not report to the Conductor within " + timeout.toSeconds() + " s"
                + (last == null ? "" : " (" + last.getMessage() + ")") + "; see " + spec.dir().resolve(id + ".log"));
    }

    /** The Conductor's client interface. */
    public ClusterAdmin admin() {
        return admin;
    }

    /**
     * The Conductor's runtime as a remote service, reached at its current endpoint (so it follows a
     * restarted Conductor); calls wait up to two minutes (an install moves whole task directories).
     */
    public RuntimeService runtime() {
        return rpc.proxy(RuntimeService.class, "runtime", "Conductor", () -> endpoint(ConductorProcess.NODE).uri(),
                m -> Duration.ofMinutes(2));
    }

    /**
     * Any service a node serves ("conductor" or a Supervisor ID), reached at its current endpoint with
     * the cluster's secret; each call may take up to {@code deadline}.
     */
    public <T> T service(String node, String service, Class<T> api, Duration deadline) {
        return rpc.proxy(api, service, node, () -> endpoint(node).uri(), m -> deadline);
    }

    /** Whether a node this object started is running; waits up to {@code grace} for one that is exiting. */
    public boolean isAlive(String node, Duration grace) {
        Process process = processes.get(node);
        if (process == null) {
            return false;
        }
        try {
            return !process.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return process.isAlive();
        }
    }

    /** The spec the processes were started with. */
    public ClusterSpec spec() {
        return spec;
    }

    /** The Supervisor IDs. */
    public List<String> supervisorIds() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < spec.supervisors(); i++) {
            ids.add("supervisor-" + i);
        }
        return ids;
    }

    /** A Supervisor's channel, reached at its current endpoint (for leak checks). */
    public SupervisorChannel supervisor(String id) {
        return rpc.proxy(SupervisorChannel.class, "supervisor", "Supervisor " + id, () -> endpoint(id).uri(),
                m -> Duration.ofSeconds(10));
    }

    /** A node's counters ("conductor" or a Supervisor ID). */
    public ProcessProbe.ProcessStats stats(String node) {
        return rpc.proxy(ProcessProbe.class, "process", node, () -> endpoint(node).uri(), m -> Duration.ofSeconds(10)).stats();
    }

    /** The process ID of a running node. */
    public long pid(String node) {
        Process process = processes.get(node);
        return process != null ? process.pid() : endpoint(node).pid();
    }

    /** A Supervisor's state root. */
    public Path supervisorRoot(String id) {
        return spec.dir().resolve(id);
    }

    // ------------------------------------------------------------------ faults

    /** Kills a node with SIGKILL and waits until it is gone. */
    public void kill(String node) {
        Process process = processes.remove(node);
        ProcessHandle handle = process != null ? process.toHandle() : ProcessHandle.of(pid(node)).orElse(null);
        if (handle != null) {
            handle.destroyForcibly();
            handle.onExit().join();
        }
    }

    /** Freezes a node with SIGSTOP: it keeps its sockets but answers nothing. */
    public void pause(String node) {
        signal(node, "STOP");
    }

    /**
     * Resumes a node frozen by {@link #pause} with SIGCONT; for a Supervisor, waits until the Conductor
     * no longer counts it as down (it was, if the freeze outlasted the heartbeat timeout).
     */
    public void resume(String node) {
        signal(node, "CONT");
        if (!node.equals(ConductorProcess.NODE)) {
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (admin.info().down().containsKey(node)) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException(node + " did not report to the Conductor within 60 s of SIGCONT");
                }
                sleep(50);
            }
        }
    }

    /** Starts a node again (after {@link #kill}) and waits until the cluster sees it. */
    public void restart(String node) {
        restart(node, List.of());
        awaitSupervisors(Duration.ofSeconds(60));
    }

    /**
     * Starts a node again with extra JVM options (such as a fault-injection property), without waiting
     * for the cluster to see it.
     */
    public void restart(String node, List<String> jvmOptions) {
        if (node.equals(ConductorProcess.NODE)) {
            startConductor(jvmOptions);
        } else {
            startSupervisor(node, jvmOptions);
        }
    }

    /**
     * Starts the Supervisors {@code ids} again (after {@link #kill}), side by side, and waits until each
     * serves, not until the Conductor sees them ({@link #awaitSupervisors}).
     */
    public void restartSupervisors(List<String> ids) {
        startSupervisors(ids, List.of());
    }

    private void signal(String node, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid(node))).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + node + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ starting

    private void startConductor() {
        startConductor(List.of());
    }

    private void startConductor(List<String> jvmOptions) {
        Endpoint previous = Endpoint.read(nodeDir(ConductorProcess.NODE)).orElse(null);
        List<String> args = new ArrayList<>(List.of(
                "--cluster", spec.dir().toString(), "--cluster-id", spec.clusterId(),
                "--supervisors", Integer.toString(spec.supervisors()), "--provider", spec.provider(),
                "--catalog", spec.catalog(), "--chunk-size", Integer.toString(spec.chunkSize()),
                "--deadline-ms", Long.toString(spec.deadline().toMillis()),
                "--heartbeat-timeout-ms", Long.toString(spec.heartbeatTimeout().toMillis()),
                "--task-stall-ms", Long.toString(spec.taskStall().toMillis()),
                "--conductor-provider", spec.conductorProvider()));
        args.addAll(spec.storeArgs());
        launch(ConductorProcess.NODE, spec.conductorMain(), jvmOptions, args);
        awaitEndpoint(ConductorProcess.NODE, previous, Duration.ofSeconds(60));
    }

    private void startSupervisor(String id, List<String> jvmOptions) {
        startSupervisors(List.of(id), jvmOptions);
    }

    /**
     * Launches every Supervisor of {@code ids} before waiting for any: their JVMs start side by side
     * (a start is about a second, mostly class loading and opening RocksDB, not all of it on a core).
     */
    private void startSupervisors(List<String> ids, List<String> jvmOptions) {
        Map<String, Endpoint> previous = new LinkedHashMap<>();
        for (String id : ids) {
            previous.put(id, Endpoint.read(nodeDir(id)).orElse(null));
            List<String> args = new ArrayList<>(List.of(
                    "--cluster", spec.dir().toString(), "--id", id, "--provider", spec.provider(),
                    "--catalog", spec.catalog(), "--segment-bytes", Long.toString(spec.segmentBytes()),
                    "--chunk-size", Integer.toString(spec.chunkSize())));
            args.addAll(spec.storeArgs());
            launch(id, spec.supervisorMain(), jvmOptions, args);
        }
        previous.forEach((id, endpoint) -> awaitEndpoint(id, endpoint, Duration.ofSeconds(60)));
    }

    private void launch(String node, String mainClass, List<String> jvmOptions, List<String> args) {
        // Each node's temporary files stay in its own directory, emptied before each start: a node killed by
        // SIGKILL leaves RocksDB's extracted native library (15 MiB) behind, and in the shared temporary
        // directory those added up to gigabytes over a test run.
        Path tmp = nodeDir(node).resolve("tmp");
        FileTrees.deleteTree(tmp);
        PrivateFiles.createDirectories(tmp);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + spec.heap(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-Djava.io.tmpdir=" + tmp,
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        try {
            Files.createDirectories(spec.dir());
            Path log = spec.dir().resolve(node + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            processes.put(node, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + node, e);
        }
    }

    /** Where a node keeps its state and its endpoint file. */
    private Path nodeDir(String node) {
        return node.equals(ConductorProcess.NODE) ? spec.dir().resolve(node) : supervisorRoot(node);
    }

    private Endpoint endpoint(String node) {
        return Endpoint.read(nodeDir(node)).orElseThrow(() -> new IllegalStateException(node + " is not running in " + spec.dir()));
    }

    private void awaitEndpoint(String node, Endpoint previous, Duration timeout) {
        Path dir = nodeDir(node);
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            Optional<Endpoint> endpoint = Endpoint.read(dir);
            if (endpoint.isPresent() && !endpoint.get().equals(previous)) {
                return;
            }
            Process process = processes.get(node);
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(node + " exited with code " + process.exitValue() + " at start; see "
                        + spec.dir().resolve(node + ".log"));
            }
            sleep(50);
        }
        throw new IllegalStateException(node + " did not start within " + timeout.toSeconds() + " s; see "
                + spec.dir().resolve(node + ".log"));
    }

    /** Waits until every Supervisor's current incarnation reported to the Conductor. */
    public void awaitSupervisors(Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < until) {
            try {
                Map<String, Endpoint> reported = admin.info().supervisors();
                boolean all = supervisorIds().stream().allMatch(id -> Endpoint.read(supervisorRoot(id))
                        .map(e -> e.equals(reported.get(id))).orElse(false));
                if (all) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            sleep(100);
        }
        throw new IllegalStateException("the Supervisors did not all report to the Conductor within "
                + timeout.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops every process this object started, the Supervisors together and then the Conductor: SIGTERM,
     * then SIGKILL for one that does not exit within 10 s.
     */
    @Override
    public void close() {
        List<ProcessHandle> supervisors = new ArrayList<>();
        for (String node : List.copyOf(processes.keySet())) {
            if (!node.equals(ConductorProcess.NODE)) {
                supervisors.add(processes.remove(node).toHandle());
            }
        }
        stop(supervisors, java.time.Duration.ofSeconds(10));
        Process conductor = processes.remove(ConductorProcess.NODE);
        if (conductor != null) {
            stop(List.of(conductor.toHandle()), java.time.Duration.ofSeconds(10));
        }
    }

    /**
     * Stops processes together: SIGCONT (a frozen one cannot exit) and SIGTERM to each, then SIGKILL to any
     * that outlives {@code grace}; returns once all are gone. A process that already ended is left alone.
     * Together, because each JVM's shutdown takes a few hundred milliseconds that need not add up.
     */
    public static void stop(List<ProcessHandle> processes, java.time.Duration grace) {
        List<ProcessHandle> alive = processes.stream().filter(ProcessHandle::isAlive).toList();
        if (alive.isEmpty()) {
            return;
        }
        List<String> resume = new ArrayList<>(List.of("kill", "-CONT"));
        alive.forEach(process -> resume.add(Long.toString(process.pid())));
        try {
            // Its exit status is not checked: a process may end between the check above and the signal.
            new ProcessBuilder(resume).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor();
        } catch (IOException e) {
            // without kill(1), a frozen process gets SIGKILL after the grace below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        alive.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle process : alive) {
            try {
                process.onExit().get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                process.destroyForcibly();
                process.onExit().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
