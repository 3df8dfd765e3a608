package io.modbackup.cluster.launch;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.cli.operation.OperationRecord;
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
 * arguments to the Conductor, which runs the command against the live cluster, and follows it: prints
 * what the command prints and its operation's progress while it runs, and exits with its code. The
 * command runs to its end in the Conductor whether or not this client stays. It never opens the
 * cluster's state; any number of calls may run at once.
 */
public final class RemoteCli {
    /** The config key naming the cluster's directory (the one {@code bin/cluster start} created). */
    public static final String CLUSTER_DIR = "cluster.dir";
    /** The flag that makes the output JSON lines, for scripts; the client's own, not the command's. */
    public static final String JSON_FLAG = "--json";
    private static final Duration CALL_DEADLINE = Duration.ofSeconds(30);
    private static final long POLL_WAIT_MILLIS = 1000;
    private static final long FIRST_POLL_WAIT_MILLIS = 100;

    private RemoteCli() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err, System.console() != null));
    }

    /**
     * Runs one command; returns its exit code. Its operation's progress goes to {@code err}: on one
     * updating line when {@code terminal}, else as periodic lines; with {@code --json}, every event is a
     * JSON object on a line of {@code out}.
     */
    public static int run(List<String> args, PrintStream out, PrintStream err, boolean terminal) {
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
        // Each call is short: the command runs in the Conductor, and a poll waits at most 2 s for its end.
        ClusterAdmin admin = new JsonRpcClient(secret).proxy(ClusterAdmin.class, "admin", "the Conductor at " + endpoint.url(),
                endpoint::uri, m -> CALL_DEADLINE);
        boolean json = args.contains(JSON_FLAG);
        List<String> forwarded = new ArrayList<>(args);
        forwarded.removeIf(JSON_FLAG::equals);
        if (!forwarded.contains("--config")) {
            forwarded.addAll(List.of("--config", config.toString()));
        } else {
            forwarded.set(forwarded.indexOf("--config") + 1, config.toString());
        }
        String session;
        try {
            session = admin.startCli(forwarded);
        } catch (IllegalStateException e) {
            err.println("error: the Conductor of the cluster in " + dir + " does not answer (" + e.getMessage()
                    + "); check it with bin/cluster status " + Path.of(dir).getParent());
            return 1;
        }
        ProgressView view = json ? new ProgressView.Json(out) : terminal ? new ProgressView.Terminal(err)
                : new ProgressView.Pipe(err);
        return follow(admin, session, view, out, err, Path.of(dir));
    }

    /** Polls the session until its command ends, printing its output and its operation's progress. */
    private static int follow(ClusterAdmin admin, String session, ProgressView view, PrintStream out, PrintStream err,
                              Path dir) {
        int outAt = 0;
        int errAt = 0;
        OperationRecord operation = null;
        while (true) {
            ClusterAdmin.CliPoll poll;
            try {
                // Quick polls until the operation is known, so that even a Conductor lost early can be named with it.
                poll = admin.pollCli(session, outAt, errAt, operation == null ? FIRST_POLL_WAIT_MILLIS : POLL_WAIT_MILLIS);
            } catch (IllegalStateException | IllegalArgumentException e) {
                view.clear();
                err.println("error: lost the Conductor of the cluster in " + dir
                        + (operation == null ? "" : " while operation " + operation.describe() + " ran")
                        + " (" + e.getMessage() + "); see whether it is up with bin/cluster status " + dir.getParent()
                        + ", and what became of the operation with bin/backup --action status");
                err.flush();
                return 1;
            }
            outAt += poll.out().length();
            errAt += poll.err().length();
            if (!poll.out().isEmpty() || !poll.err().isEmpty()) {
                view.output(poll.out(), poll.err(), out, err);
            }
            if (poll.operation() != null) {
                operation = poll.operation();
            }
            long now = System.currentTimeMillis();
            if (poll.done()) {
                view.finish(operation, poll.exitCode(), now);
                out.flush();
                err.flush();
                return poll.exitCode();
            }
            if (operation != null) {
                view.progress(operation, now);
            }
        }
    }

    private static String valueOf(List<String> args, String option, String fallback) {
        int at = args.indexOf(option);
        return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : fallback;
    }
}
