package io.modbackup.cluster.node;

import io.modbackup.cli.command.BackupCli;
import io.modbackup.cli.command.ClusterConnector;
import io.modbackup.cli.operation.Operations;
import io.modbackup.core.async.DaemonThreads;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup CLI's runs in a Conductor, each a session a client follows by polling
 * ({@link ClusterAdmin#startCli}, {@link ClusterAdmin#pollCli}): its output so far, the operation it
 * began ({@link Operations#ofSession}) and its exit code. Thread-safe.
 */
final class CliSessions {
    private static final Logger log = LoggerFactory.getLogger(CliSessions.class);
    /** How long a CLI session's output stays to be polled after its command ended. */
    private static final Duration SESSION_KEPT = Duration.ofMinutes(10);
    /** The longest one poll of a CLI session waits for its command to end. */
    static final long MAX_POLL_WAIT_MILLIS = 2000;

    private final Operations operations;
    private final Path defaultConfig;
    private final Function<String, ClusterConnector> connectorOf;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.named("modbackup-cli-"));

    /**
     * @param defaultConfig the config a command that names none runs with
     * @param connectorOf the connector of a session's command, given the session's ID
     */
    CliSessions(Operations operations, Path defaultConfig, Function<String, ClusterConnector> connectorOf) {
        this.operations = operations;
        this.defaultConfig = defaultConfig;
        this.connectorOf = connectorOf;
    }

    /** One run of the backup CLI in this Conductor: its output so far, and its exit code once it ended. */
    private static final class Session {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        volatile long endedNanos;
    }

    /** Runs the CLI with {@code args} and waits for its end. */
    ClusterAdmin.CliResult run(List<String> args) {
        String id = start(args);
        Session session = sessions.get(id);
        int code = session.exit.join();
        sessions.remove(id);
        operations.endSession(id);
        return new ClusterAdmin.CliResult(code, session.out.toString(), session.err.toString());
    }

    /**
     * Starts the CLI with {@code args} (and the Conductor's config unless they name one) and returns its
     * session. The command runs on a thread of its own: a client that stops polling changes nothing.
     * Sessions that ended more than {@link #SESSION_KEPT} ago are forgotten here.
     */
    String start(List<String> args) {
        long now = System.nanoTime();
        sessions.entrySet().removeIf(e -> {
            long ended = e.getValue().endedNanos;
            boolean old = ended != 0 && now - ended > SESSION_KEPT.toNanos();
            if (old) {
                operations.endSession(e.getKey());
            }
            return old;
        });
        List<String> withConfig = args.contains("--config") ? List.copyOf(args)
                : java.util.stream.Stream.concat(args.stream(), java.util.stream.Stream.of("--config", defaultConfig.toString()))
                .toList();
        String id = "cli-" + java.util.UUID.randomUUID();
        Session session = new Session();
        sessions.put(id, session);
        threads.execute(() -> {
            int code = 1;
            try (PrintWriter o = new PrintWriter(session.out); PrintWriter e = new PrintWriter(session.err)) {
                code = BackupCli.run(connectorOf.apply(id), withConfig.toArray(String[]::new), o, e);
            } catch (RuntimeException | Error e) {
                session.err.write("error: the command failed in the Conductor: " + e + "\n");
                log.error("CLI session {} failed", id, e);
            } finally {
                session.endedNanos = Math.max(1, System.nanoTime());
                session.exit.complete(code);
            }
        });
        return id;
    }

    /**
     * What session {@code id} printed from the offsets on, its operation and whether it ended, waiting
     * up to {@code waitMillis} (at most {@value #MAX_POLL_WAIT_MILLIS}) for its end.
     *
     * @throws IllegalArgumentException for a session this Conductor does not have
     */
    ClusterAdmin.CliPoll poll(String id, int outFrom, int errFrom, long waitMillis) {
        Session session = sessions.get(id);
        if (session == null) {
            throw new IllegalArgumentException("no CLI session " + id + " in this Conductor: it ended more than "
                    + SESSION_KEPT.toMinutes() + " minutes ago, or the Conductor restarted; see what ran with"
                    + " bin/backup --action status");
        }
        try {
            session.exit.get(Math.max(0, Math.min(waitMillis, MAX_POLL_WAIT_MILLIS)), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // still running: answer with what it printed so far
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        boolean done = session.exit.isDone();
        String out = session.out.toString();
        String err = session.err.toString();
        return new ClusterAdmin.CliPoll(out.substring(Math.min(Math.max(0, outFrom), out.length())),
                err.substring(Math.min(Math.max(0, errFrom), err.length())),
                operations.ofSession(id).orElse(null), done, done ? session.exit.join() : -1);
    }
}
