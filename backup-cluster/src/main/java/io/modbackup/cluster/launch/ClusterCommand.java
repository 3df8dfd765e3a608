package io.modbackup.cluster.launch;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.cluster.node.ProcessProbe;
import io.modbackup.core.crypto.MasterKeys;
import io.modbackup.core.seal.Compression;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.sim.SampleModules;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code bin/cluster start|status|restart|stop DIR}: runs a multi-process simulated cluster in the
 * background. {@code start} creates {@code DIR/cluster} (the Conductor's and Supervisors' state), a
 * local store in {@code DIR/store} and {@code DIR/modbackup.yaml} for {@code bin/backup}, starts the
 * Conductor and the Supervisors (3 unless {@code --supervisors N}), deploys the sample modules on a new
 * cluster, and returns, leaving the processes running; it refuses while any node of the cluster runs.
 * {@code status} checks every node (its process alive and answering, and the Conductor's view of it);
 * {@code restart} restarts one node; {@code stop} stops every live node. A node is found by the
 * endpoint record it writes in its directory, and counts as running only while that process lives.
 */
public final class ClusterCommand {
    /** How long a node probe may take before the node counts as not answering. */
    private static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
    /** How long a node has to exit after SIGTERM before it gets SIGKILL. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String USAGE = """
            usage: bin/cluster start DIR [--supervisors N] [--provider "CLASS ARG"] [--compression C]
                         [--encryption-key K] [--conductor-provider "CLASS ARG"] [--config FILE]
                                                     start a cluster: a Conductor and N Supervisors (3; 1 to 64),
                                                     every node on the same store (DIR/store unless given; a
                                                     config file's backup.* settings count as given); with
                                                     --conductor-provider the Conductor alone reaches it with
                                                     credentials that may delete (leases, gc)
                   bin/cluster status DIR                    check every node: up, or down and why
                   bin/cluster restart DIR NODE              restart one node: conductor or supervisor-<i>
                   bin/cluster stop DIR                      stop every running node of the cluster""";

    private ClusterCommand() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        try {
            if (args.isEmpty() || !List.of("start", "stop", "status", "restart").contains(args.get(0))) {
                throw new UsageException(args.isEmpty() ? "no command" : "unknown command " + args.get(0));
            }
            if (args.size() < 2 || args.get(1).startsWith("--")) {
                throw new UsageException("bin/cluster " + args.get(0) + " needs the cluster's directory");
            }
            Path dir = Path.of(args.get(1)).toAbsolutePath();
            List<String> rest = args.subList(2, args.size());
            return switch (args.get(0)) {
                case "start" -> start(dir, ClusterLaunch.Options.parse(rest), out, err);
                case "stop" -> {
                    noMore(rest);
                    yield stop(dir, out, err);
                }
                case "restart" -> {
                    if (rest.size() != 1) {
                        throw new UsageException("bin/cluster restart needs one node: conductor or supervisor-<i>");
                    }
                    yield restart(dir, rest.get(0), out, err);
                }
                default -> {
                    noMore(rest);
                    yield status(dir, out, err);
                }
            };
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (io.modbackup.api.provider.BackupConfigException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static void noMore(List<String> rest) {
        if (!rest.isEmpty()) {
            throw new UsageException("unexpected argument " + rest.get(0));
        }
    }

    /**
     * Prepares a new cluster in {@code dir} as {@code start} does, for a host that starts its processes
     * itself (the demo): records its Supervisor count and a new identity, so that {@code status},
     * {@code restart} and {@code stop} know it, and writes the config; returns its spec.
     */
    public static ClusterSpec create(Path dir, int supervisors) throws IOException {
        ClusterLaunch launch = new ClusterLaunch(supervisors, ClusterLaunch.newClusterId(), ClusterLaunch.localStore(dir), "", "", "");
        ClusterSpec spec = launch.spec(dir);
        PrivateFiles.createDirectories(dir);
        PrivateFiles.createDirectories(spec.dir());
        launch.write(dir);
        writeConfig(dir, spec);
        return spec;
    }

    /** Writes {@code DIR/modbackup.yaml}, which {@code bin/backup --config} reads. */
    public static Path writeConfig(Path dir, ClusterSpec spec) throws IOException {
        Path config = dir.resolve("modbackup.yaml");
        StringBuilder text = new StringBuilder(ProviderLoader.CONFIG_KEY + ": \"" + spec.provider() + "\"\n");
        if (!spec.compression().isEmpty()) {
            text.append(Compression.CONFIG_KEY).append(": \"").append(spec.compression()).append("\"\n");
        }
        if (!spec.encryptionKey().isEmpty()) {
            text.append(MasterKeys.CONFIG_KEY).append(": \"").append(spec.encryptionKey()).append("\"\n");
        }
        if (!spec.conductorProvider().isEmpty()) {
            text.append(ProviderLoader.CONDUCTOR_CONFIG_KEY).append(": \"").append(spec.conductorProvider()).append("\"\n");
        }
        Files.writeString(config, text.append(RemoteCli.CLUSTER_DIR).append(": ").append(spec.dir()).append('\n'));
        return config;
    }

    private static int start(Path dir, ClusterLaunch.Options options, PrintStream out, PrintStream err) throws IOException {
        Optional<ClusterLaunch> previous = ClusterLaunch.read(dir);
        Map<String, Endpoint> live = liveNodes(dir);
        if (!live.isEmpty()) {
            err.println("error: nodes of the cluster in " + dir + " still run: " + describe(live) + "; stop them with"
                    + " bin/cluster stop " + dir + ", or restart one with bin/cluster restart " + dir + " NODE");
            return 1;
        }
        String conflict = previous.map(p -> p.conflict(options)).orElse(null);
        if (conflict != null) {
            err.println("error: the cluster in " + dir + " was started with " + conflict + "; start it again without"
                    + " that option (it keeps what it was started with), or start a new cluster in another directory");
            return 1;
        }
        boolean existed = Files.isDirectory(dir.resolve("cluster"));
        // A cluster started before the launch record existed keeps the name it had; a new one gets its own.
        ClusterLaunch launch = previous.orElse(ClusterLaunch.fresh(dir, options, existed ? "sim-cluster" : ClusterLaunch.newClusterId()));
        ClusterSpec spec = launch.spec(dir);
        PrivateFiles.createDirectories(dir);
        PrivateFiles.createDirectories(spec.dir());
        launch.write(dir);
        Path config = writeConfig(dir, spec);
        ClusterProcesses cluster = ClusterProcesses.start(spec);
        ClusterAdmin admin = cluster.admin();
        if (admin.info().modules().isEmpty()) {
            admin.deploy(SampleModules.MODULE_A, new Parallelism(4, launch.supervisors(), 1));
            admin.deploy(SampleModules.MODULE_B, new Parallelism(2, launch.supervisors(), 1));
        }
        printStatus(cluster, out);
        out.println("config for bin/backup: " + config);
        out.println("stop it with: bin/cluster stop " + dir);
        return 0;
    }

    private static int restart(Path dir, String node, PrintStream out, PrintStream err) {
        ClusterLaunch launch = ClusterLaunch.read(dir).orElseThrow(() -> new IllegalStateException("no cluster was started in " + dir
                + "; start one with bin/cluster start " + dir));
        if (!launch.nodes().contains(node)) {
            throw new UsageException("the cluster in " + dir + " has no node " + node + "; its nodes are "
                    + String.join(", ", launch.nodes()));
        }
        Endpoint running = Endpoint.read(nodeDir(dir, node)).filter(Endpoint::processAlive).orElse(null);
        if (running != null) {
            ClusterProcesses.stop(ProcessHandle.of(running.pid()).stream().toList(), STOP_GRACE);
            out.println("stopped " + node + " (pid " + running.pid() + ")");
        }
        ClusterProcesses cluster = ClusterProcesses.of(launch.spec(dir));
        cluster.startNode(node, START_TIMEOUT);
        out.println("started " + node + " (pid " + cluster.pid(node) + ")");
        return 0;
    }

    private static int stop(Path dir, PrintStream out, PrintStream err) {
        Map<String, Endpoint> live = liveNodes(dir);
        if (live.isEmpty()) {
            err.println("error: no node of the cluster in " + dir + " is running");
            return 1;
        }
        // The Supervisors together, then the Conductor: a Conductor stopped first would see them go silent for nothing.
        List<String> supervisors = live.keySet().stream().filter(n -> !n.equals(ConductorProcess.NODE)).sorted().toList();
        ClusterProcesses.stop(handles(supervisors, live), STOP_GRACE);
        supervisors.forEach(node -> out.println("stopped " + node + " (pid " + live.get(node).pid() + ")"));
        if (live.containsKey(ConductorProcess.NODE)) {
            ClusterProcesses.stop(handles(List.of(ConductorProcess.NODE), live), STOP_GRACE);
            out.println("stopped " + ConductorProcess.NODE + " (pid " + live.get(ConductorProcess.NODE).pid() + ")");
        }
        return 0;
    }

    /** The running processes of {@code nodes}. */
    private static List<ProcessHandle> handles(List<String> nodes, Map<String, Endpoint> live) {
        return nodes.stream().flatMap(node -> ProcessHandle.of(live.get(node).pid()).stream()).toList();
    }

    private static int status(Path dir, PrintStream out, PrintStream err) {
        Optional<ClusterLaunch> launch = ClusterLaunch.read(dir);
        if (launch.isEmpty()) {
            err.println("error: no cluster was started in " + dir + "; start one with bin/cluster start " + dir);
            return 1;
        }
        Path cluster = dir.resolve("cluster");
        // One handle (one read of the RPC secret, one HTTP client) for every probe.
        ClusterProcesses handle = ClusterProcesses.attach(cluster);
        ClusterAdmin.ClusterInfo info = null;
        String conductorProblem = null;
        Endpoint conductor = Endpoint.read(cluster.resolve(ConductorProcess.NODE)).orElse(null);
        if (conductor != null && conductor.processAlive()) {
            try {
                info = handle.service(ConductorProcess.NODE, "admin", ClusterAdmin.class, PROBE_DEADLINE).info();
            } catch (RuntimeException e) {
                conductorProblem = "process " + conductor.pid() + " runs but does not answer (" + e.getMessage() + ")";
            }
        }
        out.println("cluster " + launch.get().clusterId() + " in " + dir);
        List<String> down = new ArrayList<>();
        for (String node : launch.get().nodes()) {
            Endpoint endpoint = Endpoint.read(nodeDir(dir, node)).orElse(null);
            String problem = node.equals(ConductorProcess.NODE) && conductorProblem != null ? conductorProblem
                    : problem(handle, node, endpoint, info);
            if (problem == null) {
                out.printf("  %-13s up    pid %d  %s%n", node, endpoint.pid(), endpoint.url());
            } else {
                out.printf("  %-13s DOWN  %s%n", node, problem);
                down.add(node);
            }
        }
        if (info != null) {
            out.println("modules " + info.modules() + "; backups page (Cluster UI): " + info.conductor().url() + "/modules/"
                    + SampleModules.MODULE_A + "/backups");
        }
        if (down.isEmpty()) {
            return 0;
        }
        out.println(down.size() + " of " + launch.get().nodes().size() + " nodes down: restart one with bin/cluster"
                + " restart " + dir + " NODE (" + String.join(", ", down) + ")");
        return 1;
    }

    /** Why {@code node} is down, or null when it is up: its process alive, answering, and (a Supervisor) joined. */
    private static String problem(ClusterProcesses handle, String node, Endpoint endpoint, ClusterAdmin.ClusterInfo info) {
        if (endpoint == null) {
            return "not running (it left no endpoint record)";
        }
        if (!endpoint.processAlive()) {
            return "not running (process " + endpoint.pid() + " is gone)";
        }
        if (node.equals(ConductorProcess.NODE) && info != null) {
            return null; // it answered for the cluster's info just now
        }
        try {
            handle.service(node, "process", ProcessProbe.class, PROBE_DEADLINE).stats();
        } catch (RuntimeException e) {
            return "process " + endpoint.pid() + " runs but does not answer within " + PROBE_DEADLINE.toSeconds()
                    + " s (frozen or overloaded)";
        }
        if (node.equals(ConductorProcess.NODE) || info == null) {
            return null;
        }
        String reason = info.down().get(node);
        if (reason != null) {
            return "the Conductor marks it down: " + reason;
        }
        if (!endpoint.equals(info.supervisors().get(node))) {
            return "process " + endpoint.pid() + " answers but has not joined the Conductor yet";
        }
        return null;
    }

    /** Each node of the cluster in {@code dir} whose process runs, with its endpoint. */
    private static Map<String, Endpoint> liveNodes(Path dir) {
        Map<String, Endpoint> live = new java.util.TreeMap<>();
        for (Path node : nodeDirs(dir.resolve("cluster"))) {
            Endpoint.read(node).filter(Endpoint::processAlive).ifPresent(e -> live.put(node.getFileName().toString(), e));
        }
        return live;
    }

    private static String describe(Map<String, Endpoint> nodes) {
        return nodes.entrySet().stream().map(e -> e.getKey() + " (pid " + e.getValue().pid() + ")")
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static Path nodeDir(Path dir, String node) {
        return dir.resolve("cluster").resolve(node);
    }

    /** Prints each process and the Cluster UI's address. */
    public static void printStatus(ClusterProcesses cluster, PrintStream out) {
        ClusterAdmin.ClusterInfo info = cluster.admin().info();
        out.println("cluster " + info.clusterId() + " in " + cluster.spec().dir());
        out.println("  Conductor     pid " + info.conductor().pid() + "  " + info.conductor().url());
        for (Map.Entry<String, Endpoint> s : info.supervisors().entrySet()) {
            out.printf("  %-13s pid %d  %s%n", s.getKey(), s.getValue().pid(), s.getValue().url());
        }
        out.println("  backups page (Cluster UI): " + info.conductor().url() + "/modules/" + SampleModules.MODULE_A
                + "/backups");
    }

    private static List<Path> nodeDirs(Path cluster) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(cluster.resolve(ConductorProcess.NODE));
        try (var list = Files.list(cluster)) {
            list.filter(p -> p.getFileName().toString().startsWith("supervisor-")).sorted().forEach(dirs::add);
        } catch (IOException e) {
            // no cluster directory: no nodes
        }
        return dirs;
    }
}
