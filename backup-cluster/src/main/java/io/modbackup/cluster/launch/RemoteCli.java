package io.modbackup.cluster.launch;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.cli.command.ConfigFile;
import io.modbackup.cluster.node.ClusterAdmin;
import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.Endpoint;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.cluster.rpc.RpcSecret;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/backup}: the backup CLI as a client of a running Conductor, as {@code rama backup} is. It
 * reads only the config file (for {@code cluster.dir}, to find the Conductor's endpoint and the
 * cluster's {@link RpcSecret}, which only the cluster's user can read), sends its
 * arguments to the Conductor, which runs the command against the live cluster, and prints what the
 * command printed, exiting with its code. It never opens the cluster's state; any number of calls may
 * run at once.
 */
public final class RemoteCli {
    /** The config key naming the cluster's directory (the one {@code bin/cluster start} created). */
    public static final String CLUSTER_DIR = "cluster.dir";

    private RemoteCli() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        Path config = Path.of(valueOf(args, "--config", "modbackup.yaml")).toAbsolutePath();
        Map<String, String> settings;
        try {
            settings = ConfigFile.read(config);
        } catch (BackupConfigException | UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        String dir = settings.get(CLUSTER_DIR);
        if (dir == null || dir.isBlank()) {
            err.println("error: config " + config + " has no " + CLUSTER_DIR + ": name the directory of the running"
                    + " cluster (bin/cluster start writes a config that has it)");
            return 2;
        }
        Path conductorDir = Path.of(dir).resolve(ConductorProcess.NODE);
        Endpoint endpoint = Endpoint.read(conductorDir).orElse(null);
        if (endpoint == null) {
            err.println("error: no cluster is running in " + dir + "; start it with bin/cluster start "
                    + Path.of(dir).getParent());
            return 1;
        }
        RpcSecret secret;
        try {
            secret = RpcSecret.read(Path.of(dir));
        } catch (IllegalStateException | UncheckedIOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        ClusterAdmin admin = new JsonRpcClient(secret).proxy(ClusterAdmin.class, "admin", "the Conductor at " + endpoint.url(),
                endpoint::uri, m -> Duration.ofHours(12));
        List<String> forwarded = new ArrayList<>(args);
        if (!args.contains("--config")) {
            forwarded.addAll(List.of("--config", config.toString()));
        } else {
            forwarded.set(args.indexOf("--config") + 1, config.toString());
        }
        ClusterAdmin.CliResult result;
        try {
            result = admin.runCli(forwarded);
        } catch (IllegalStateException e) {
            err.println("error: the Conductor of the cluster in " + dir + " does not answer (" + e.getMessage()
                    + "); check it with bin/cluster status " + Path.of(dir).getParent());
            return 1;
        }
        out.print(result.out());
        err.print(result.err());
        out.flush();
        err.flush();
        return result.exitCode();
    }

    private static String valueOf(List<String> args, String option, String fallback) {
        int at = args.indexOf(option);
        return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : fallback;
    }
}
