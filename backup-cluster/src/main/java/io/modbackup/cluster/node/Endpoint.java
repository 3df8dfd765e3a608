package io.modbackup.cluster.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.cluster.rpc.JsonRpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Where a running node (the Conductor or a Supervisor) answers, as it writes it into
 * {@code <its directory>/endpoint.json} once it serves: clients and peers find it there, and a node
 * restarted on another port is found again.
 *
 * @param url the node's JSON-RPC address
 * @param pid the node's process ID
 * @param startedMillis when the process started, which tells one incarnation from the next
 */
public record Endpoint(String url, long pid, long startedMillis) {
    static final String FILE = "endpoint.json";
    private static final ObjectMapper JSON = JsonRpc.mapper();

    /** The node's address. */
    public URI uri() {
        return URI.create(url);
    }

    /** Writes this endpoint into {@code nodeDir} atomically. */
    void write(Path nodeDir) {
        try {
            Files.createDirectories(nodeDir);
            Path temp = nodeDir.resolve(FILE + ".tmp");
            JSON.writeValue(temp.toFile(), this);
            Files.move(temp, nodeDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the endpoint of " + nodeDir, e);
        }
    }

    /** The endpoint last written into {@code nodeDir}, if any. */
    public static Optional<Endpoint> read(Path nodeDir) {
        Path file = nodeDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), Endpoint.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the process this endpoint names still runs: a process of that ID that started after the
     * endpoint was written reuses the ID and does not count.
     */
    public boolean processAlive() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .map(p -> p.info().startInstant().map(i -> i.toEpochMilli() <= startedMillis + 1000).orElse(true))
                .orElse(false);
    }

    /**
     * Fails when another live process serves as the node of {@code nodeDir}: two incarnations of one
     * node would share its state (its RocksDB would refuse the second, after it overwrote the first's record).
     */
    static void requireNoOtherIncarnation(Path nodeDir, String node) {
        read(nodeDir).filter(e -> e.pid() != ProcessHandle.current().pid() && e.processAlive()).ifPresent(e -> {
            throw new IllegalStateException(node + " already runs as process " + e.pid() + " at " + e.url()
                    + "; stop it first");
        });
    }

    /**
     * Forgets the endpoint in {@code nodeDir} when its node (process {@code pid}) stops; a record another
     * process wrote since is left alone.
     */
    static void remove(Path nodeDir, long pid) {
        if (read(nodeDir).map(e -> e.pid() != pid).orElse(true)) {
            return;
        }
        try {
            Files.deleteIfExists(nodeDir.resolve(FILE));
        } catch (IOException ignored) {
            // a stale endpoint only makes a client try a dead address and say so
        }
    }
}
