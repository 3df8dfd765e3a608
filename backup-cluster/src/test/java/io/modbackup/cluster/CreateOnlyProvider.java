package io.modbackup.cluster;

import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A local-directory store reached with the write-only credentials docs/s3.md gives Supervisors: reads and
 * creates pass; every delete and every put (which may overwrite) is refused, as S3 refuses them to a role
 * without {@code s3:DeleteObject} whose {@code s3:PutObject} requires {@code s3:if-none-match}, and
 * recorded in {@link #refusalsFile} (one line each), so a test can tell whether a process tried. Loaded by
 * the Supervisors from {@code backup.provider: "io.modbackup.cluster.CreateOnlyProvider <dir>"}.
 */
public final class CreateOnlyProvider extends ForwardingBackupProvider {
    private final Path refusals;

    public CreateOnlyProvider(String directory) {
        super(new LocalDirectoryProvider(directory.strip()));
        this.refusals = refusalsFile(Path.of(directory.strip()));
    }

    /** Where the refused deletes of the store in {@code store} are recorded. */
    static Path refusalsFile(Path store) {
        return store.resolveSibling(store.getFileName() + ".refused-deletes");
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return refuse("delete", List.of(key));
    }

    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        return refuse("delete", keys);
    }

    @Override
    public CompletableFuture<Void> putObject(String key, java.io.InputStream in, long length) {
        return refuse("put", List.of(key));
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return refuse("put", List.of(key));
    }

    private synchronized CompletableFuture<Void> refuse(String operation, List<String> keys) {
        try {
            Files.writeString(refusals, operation + " " + String.join("\n" + operation + " ", keys) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return CompletableFuture.failedFuture(new BackupStorageException("access denied to " + operation + " '"
                + keys.get(0) + "': these credentials may only read and create"));
    }
}
