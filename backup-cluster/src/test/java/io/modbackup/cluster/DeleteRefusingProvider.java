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
 * A local-directory store reached with write-only credentials: every delete is refused, as S3 refuses one
 * to a role without {@code s3:DeleteObject}, and recorded in {@link #refusalsFile} (one key a line), so a
 * test can tell whether a process tried. Loaded by the Supervisors from
 * {@code backup.provider: "io.modbackup.cluster.DeleteRefusingProvider <dir>"}.
 */
public final class DeleteRefusingProvider extends ForwardingBackupProvider {
    private final Path refusals;

    public DeleteRefusingProvider(String directory) {
        super(new LocalDirectoryProvider(directory.strip()));
        this.refusals = refusalsFile(Path.of(directory.strip()));
    }

    /** Where the refused deletes of the store in {@code store} are recorded. */
    static Path refusalsFile(Path store) {
        return store.resolveSibling(store.getFileName() + ".refused-deletes");
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return refuse(List.of(key));
    }

    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        return refuse(keys);
    }

    private synchronized CompletableFuture<Void> refuse(List<String> keys) {
        try {
            Files.writeString(refusals, String.join("\n", keys) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return CompletableFuture.failedFuture(new BackupStorageException("access denied to delete '" + keys.get(0)
                + "': these credentials may not delete"));
    }
}
