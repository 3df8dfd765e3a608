package io.modbackup.cluster.rpc;

import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The cluster's RPC secret: 32 random bytes in a file only its owner can read, created once when the
 * cluster first starts. Every call between nodes and from {@code bin/backup} carries it as a bearer
 * token, so only a process of the cluster's user (who can read the file) is served. Immutable.
 */
public final class RpcSecret {
    /** The file under the cluster's directory that holds the secret. */
    public static final String FILE = "rpc.secret";

    private final String token;

    private RpcSecret(String token) {
        this.token = token;
    }

    /**
     * The secret in {@code clusterDir} (which must exist), created (owner read-write only, atomically:
     * no other process sees a partial file) when absent. Idempotent; safe to call from several processes at once.
     *
     * @throws IllegalStateException when the file exists but others may read it, or is not a regular file
     */
    public static RpcSecret createIfAbsent(Path clusterDir) {
        Path file = clusterDir.resolve(FILE);
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                Path temp = Files.createTempFile(clusterDir, FILE, ".tmp", PrivateFiles.fileAttribute());
                Files.writeString(temp, HexFormat.of().formatHex(random) + "\n");
                try {
                    Files.createLink(file, temp);
                } catch (FileAlreadyExistsException anotherProcessWon) {
                    // theirs is as good: read it below
                } finally {
                    Files.deleteIfExists(temp);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cluster's RPC secret " + file + ": " + e.getMessage(), e);
        }
        return read(clusterDir);
    }

    /**
     * The secret of the cluster in {@code clusterDir}.
     *
     * @throws IllegalStateException naming the file when it is missing, malformed, a link, or readable by
     *     group or others
     */
    public static RpcSecret read(Path clusterDir) {
        Path file = clusterDir.resolve(FILE);
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException("the cluster's RPC secret " + file + " is missing (or not a regular"
                        + " file): start the cluster with bin/cluster start, which creates it");
            }
            java.util.Optional<String> open = PrivateFiles.openToOthers(file);
            if (open.isPresent()) {
                throw new IllegalStateException("the cluster's RPC secret " + file + " is readable by other users ("
                        + open.get() + "): chmod 600 it");
            }
            String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!token.matches("[0-9a-f]{64}")) {
                throw new IllegalStateException("the cluster's RPC secret " + file + " is not 64 hex digits: delete it"
                        + " and restart the cluster");
            }
            return new RpcSecret(token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster's RPC secret " + file + ": " + e.getMessage(), e);
        }
    }

    /** The value of the {@code Authorization} header a call carries. */
    String authorization() {
        return "Bearer " + token;
    }

    /** Whether {@code authorization} (a request's header, possibly null) carries this secret; constant time. */
    boolean admits(String authorization) {
        return authorization != null && MessageDigest.isEqual(authorization().getBytes(StandardCharsets.US_ASCII),
                authorization.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "RpcSecret(redacted)";
    }
}
