package io.modbackup.cluster.launch;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
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
 * {@code bin/cluster start|stop|status DIR}: runs a multi-process simulated cluster in the background.
 * {@code start} creates {@code DIR/cluster} (the Conductor's and Supervisors' state), a local store in
 * {@code DIR/store} and {@code DIR/modbackup.yaml} for {@code bin/backup}, starts the Conductor and
 * the Supervisors (3 unless {@code --supervisors N}), deploys the sample modules on a new cluster, and
 * returns, leaving the processes running. {@code stop} stops them; {@code status} lists them.
 */
public final class ClusterCommand {
    private ClusterCommand() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        if (args.size() < 2 || !List.of("start", "stop", "status").contains(args.get(0))) {
            err.println("usage: bin/cluster start|stop|status DIR [--supervisors N]");
            return 2;
        }
        Path dir = Path.of(args.get(1)).toAbsolutePath();
        return switch (args.get(0)) {
            case "start" -> start(dir, args.contains("--supervisors")
                    ? Integer.parseInt(args.get(args.indexOf("--supervisors") + 1)) : 3, out, err);
            case "stop" -> stop(dir, out, err);
            default -> status(dir, out, err);
        };
    }

    /** The spec of the cluster that {@code start} runs in {@code dir}. */
    public static ClusterProcesses.Spec spec(Path dir, int supervisors) {
        return ClusterProcesses.Spec.of(dir.resolve("cluster"), supervisors,
                LocalDirectoryProvider.class.getName() + " " + dir.resolve("store"))
                .withDeadlines(io.modbackup.sim.ConductorRuntime.DEFAULT_DEADLINE, Duration.ofMinutes(10));
    }

    /** Writes {@code DIR/modbackup.yaml}, which {@code bin/backup --config} reads. */
    public static Path writeConfig(Path dir, ClusterProcesses.Spec spec) throws IOException {
        Path config = dir.resolve("modbackup.yaml");
        Files.writeString(config, ProviderLoader.CONFIG_KEY + ": \"" + spec.provider() + "\"\n"
                + RemoteCli.CLUSTER_DIR + ": " + spec.dir() + "\n");
        return config;
    }

    private static int start(Path dir, int supervisors, PrintStream out, PrintStream err) throws IOException {
        ClusterProcesses.Spec spec = spec(dir, supervisors);
        if (Endpoint.read(spec.dir().resolve(ConductorProcess.NODE)).map(ClusterCommand::alive).orElse(false)) {
            err.println("error: a cluster is already running in " + dir + "; stop it with bin/cluster stop " + dir);
            return 1;
        }
        PrivateFiles.createDirectories(dir);
        Path config = writeConfig(dir, spec);
        ClusterProcesses cluster = ClusterProcesses.start(spec);
        ClusterAdmin admin = cluster.admin();
        if (admin.info().modules().isEmpty()) {
            admin.deploy(SampleModules.MODULE_A, new Parallelism(4, supervisors, 1));
            admin.deploy(SampleModules.MODULE_B, new Parallelism(2, supervisors, 1));
        }
        printStatus(cluster, out);
        out.println("config for bin/backup: " + config);
        out.println("stop it with: bin/cluster stop " + dir);
        return 0;
    }

    private static int stop(Path dir, PrintStream out, PrintStream err) {
        List<Path> nodes = nodeDirs(dir.resolve("cluster"));
        int stopped = 0;
        for (Path node : nodes) {
            Optional<Endpoint> endpoint = Endpoint.read(node);
            Optional<ProcessHandle> process = endpoint.flatMap(e -> ProcessHandle.of(e.pid()));
            if (process.isPresent() && process.get().isAlive()) {
                process.get().destroy();
                process.get().onExit().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> {
                    process.get().destroyForcibly();
                    return null;
                }).join();
                out.println("stopped " + node.getFileName() + " (pid " + endpoint.get().pid() + ")");
                stopped++;
            }
        }
        if (stopped == 0) {
            err.println("error: no cluster is running in " + dir);
            return 1;
        }
        return 0;
    }

    private static int status(Path dir, PrintStream out, PrintStream err) {
        Path cluster = dir.resolve("cluster");
        Optional<Endpoint> conductor = Endpoint.read(cluster.resolve(ConductorProcess.NODE)).filter(ClusterCommand::alive);
        if (conductor.isEmpty()) {
            err.println("error: no cluster is running in " + dir + "; start it with bin/cluster start " + dir);
            return 1;
        }
        ClusterAdmin.ClusterInfo info = ClusterProcesses.attach(cluster).admin().info();
        out.println("cluster " + info.clusterId() + ": Conductor pid " + info.conductor().pid() + " at "
                + info.conductor().url() + ", modules " + info.modules());
        for (Map.Entry<String, Endpoint> s : info.supervisors().entrySet()) {
            out.println("  " + s.getKey() + " pid " + s.getValue().pid() + " at " + s.getValue().url());
        }
        out.println("backups page: " + info.conductor().url() + "/modules/" + SampleModules.MODULE_A + "/backups");
        return 0;
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

    private static boolean alive(Endpoint endpoint) {
        return ProcessHandle.of(endpoint.pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    private static List<Path> nodeDirs(Path cluster) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(cluster.resolve(ConductorProcess.NODE));
        try (var list = Files.list(cluster)) {
            list.filter(p -> p.getFileName().toString().startsWith("supervisor-")).sorted().forEach(dirs::add);
        } catch (IOException e) {
            // no cluster directory: nothing to stop
        }
        return dirs;
    }
}
