package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupProvider.KeysPage;
import io.modbackup.core.manifest.CorruptBackupException;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the store's structure ({@link StoreLayout}): which modules have backups, which backup IDs
 * exist, their manifests. Shared by the engine and the garbage collector.
 */
public final class BackupStore {
    private static final Logger log = LoggerFactory.getLogger(BackupStore.class);

    private final BackupProvider provider;
    private final ManifestCodec codec;
    private final Executor executor;

    public BackupStore(BackupProvider provider, ManifestCodec codec, Executor executor) {
        this.provider = provider;
        this.codec = codec;
        this.executor = executor;
    }

    /** The provider underneath. */
    public BackupProvider provider() {
        return provider;
    }

    /** Names of the modules with anything under {@code backups/}. */
    public List<String> modules() {
        List<String> modules = new ArrayList<>();
        forEachName(StoreLayout.BACKUPS, name -> {
            if (name.endsWith("/")) {
                modules.add(name.substring(0, name.length() - 1));
            }
        });
        return modules;
    }

    /** IDs of every backup of {@code module} with a directory in the store, committed or not, newest first. */
    public List<BackupId> backupIdsNewestFirst(String module) {
        List<BackupId> ids = new ArrayList<>();
        forEachName(StoreLayout.modulePrefix(module), name -> {
            if (!name.endsWith("/")) {
                return;
            }
            try {
                BackupId id = BackupId.parse(name.substring(0, name.length() - 1));
                if (id.module().equals(module)) {
                    ids.add(id);
                }
            } catch (IllegalArgumentException e) {
                log.warn("ignoring {} in the backups of {}: {}", name, module, e.getMessage());
            }
        });
        ids.sort(Comparator.reverseOrder());
        return ids;
    }

    private void forEachName(String prefix, Consumer<String> action) {
        String token = null;
        do {
            KeysPage page = await(provider.listKeysNonRecursive(prefix, token, 0), "list " + prefix);
            page.keys().forEach(action);
            token = page.nextPageToken();
        } while (token != null);
    }

    /** Every key under {@code prefix}. */
    public List<String> keysUnder(String prefix) {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = await(provider.listKeysRecursive(prefix, token), "list " + prefix);
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    /**
     * The module manifest of {@code id}, or empty when the backup was never committed.
     *
     * @throws CorruptBackupException when it exists but is damaged
     */
    public Optional<ModuleManifest> moduleManifest(BackupId id) {
        byte[] bytes = await(readBytes(StoreLayout.moduleManifestKey(id)), "read backup " + id);
        return bytes == null ? Optional.empty() : Optional.of(codec.decodeModule(bytes, "module manifest of backup " + id));
    }

    /**
     * A task manifest of a committed backup, checked against its reference.
     *
     * @throws CorruptBackupException when it is missing or does not verify
     */
    public TaskManifest taskManifest(ModuleManifest manifest, TaskRef ref) {
        String what = "task manifest " + ref.task() + " of backup " + manifest.backupId();
        byte[] bytes = await(readBytes(ref.key()), "read " + ref.key());
        if (bytes == null) {
            throw new CorruptBackupException(what + " is missing (" + ref.key() + ")");
        }
        return codec.decodeTask(bytes, ref.sha256(), manifest.chunkSize(), what);
    }

    /** The bytes under {@code key}, or {@code null} when absent; read on the store's executor. */
    public CompletableFuture<byte[]> readBytes(String key) {
        return provider.getObject(key).thenApplyAsync(in -> {
            if (in == null) {
                return null;
            }
            try (InputStream stream = in) {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + key, e);
            }
        }, executor);
    }

    /** Waits for a store future, rethrowing its cause unwrapped. */
    public static <T> T await(CompletableFuture<T> future, String doing) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = ChunkStore.cause(e);
            if (cause instanceof RuntimeException runtimeException) {
                throw runtimeException;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("cannot " + doing + ": " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + doing, e);
        }
    }
}
