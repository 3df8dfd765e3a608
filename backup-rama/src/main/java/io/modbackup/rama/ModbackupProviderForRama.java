package io.modbackup.rama;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ProviderLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One of our providers behind Rama's {@code com.rpl.rama.backup.BackupProvider} interface, so that a
 * Rama cluster stores its backups through it. In {@code rama.yaml}:
 *
 * <pre>
 * backup.provider: "io.modbackup.rama.ModbackupProviderForRama io.modbackup.s3.S3BackupProvider s3://my-bucket/rama region=eu-west-1"
 * </pre>
 *
 * <p>The argument is one of our own {@code backup.provider} values: our provider class and its
 * argument. {@link S3ProviderForRama} is the shorter form for our S3 provider.
 *
 * <p>Semantics are Rama's, bridged from ours: non-recursive listings name directories without the
 * trailing {@code /} and accept a prefix without one; a {@code null} content length is spooled to a
 * temporary file to learn it; page size {@code -1} is the default of 1000. One difference is kept on
 * purpose: {@link #hasKey} fails its future when the store cannot answer, where Rama's own providers
 * complete {@code false}; a backup engine that takes an error for "absent" can skip or overwrite
 * what it should not.
 *
 * <p>Thread-safe as its delegate is; keys are checked by the delegate (an invalid one fails the
 * future with {@link IllegalArgumentException}).
 */
public class ModbackupProviderForRama implements com.rpl.rama.backup.BackupProvider, AutoCloseable {
    private final BackupProvider delegate;
    private final ExecutorService spooler;

    /**
     * Loads our provider from {@code providerConfig}, {@code "<our provider class> <its argument>"}.
     *
     * @throws BackupConfigException naming the value when it is missing or our loader refuses it
     */
    public ModbackupProviderForRama(String providerConfig) {
        this(load(providerConfig));
    }

    /** Serves {@code delegate} through Rama's interface; closing this closes it. */
    public ModbackupProviderForRama(BackupProvider delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.spooler = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "modbackup-rama-spool");
            thread.setDaemon(true);
            return thread;
        });
    }

    private static BackupProvider load(String providerConfig) {
        if (providerConfig == null || providerConfig.isBlank()) {
            throw new BackupConfigException(ModbackupProviderForRama.class.getName()
                    + " needs our provider after it: \"" + ModbackupProviderForRama.class.getName()
                    + " <our provider class> <its argument>\", e.g. \"" + ModbackupProviderForRama.class.getName()
                    + " io.modbackup.s3.S3BackupProvider s3://my-bucket/rama\"");
        }
        return new ProviderLoader(ModbackupProviderForRama.class.getClassLoader()).load(providerConfig);
    }

    /** Our provider that this one serves. */
    public BackupProvider delegate() {
        return delegate;
    }

    /** Completes with the object's stream, or {@code null} when there is none, as Rama expects. */
    @Override
    @SuppressWarnings("unchecked")
    public <T extends InputStream> CompletableFuture<T> getObject(String key) {
        return (CompletableFuture<T>) delegate.getObject(key);
    }

    /**
     * Stores {@code in} under {@code key}. With a known length it streams; with a {@code null} length
     * (which our SPI has no form for) it first copies the stream to a temporary file on a thread of
     * this provider, then uploads that file and deletes it.
     */
    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, Long contentLength) {
        if (contentLength != null) {
            return delegate.putObject(key, in, contentLength);
        }
        return CompletableFuture.supplyAsync(() -> spool(in), spooler)
                .thenCompose(file -> delegate.putFile(key, file).whenComplete((v, error) -> deleteQuietly(file)));
    }

    private static Path spool(InputStream in) {
        try {
            Path file = Files.createTempFile("modbackup-rama-", ".put");
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                return file;
            } catch (IOException | RuntimeException e) {
                deleteQuietly(file);
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool an upload of unknown length to a temporary file", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A temporary file; the OS cleans its temporary directory.
        }
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return delegate.deleteObject(key);
    }

    /** Whether {@code key} is stored; fails (unlike Rama's providers) when the store cannot answer. */
    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return delegate.hasKey(key);
    }

    /** Full keys starting with {@code prefix}, 1000 a page; the marker is our page token. */
    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String paginationKey) {
        return delegate.listKeysRecursive(prefix == null ? "" : prefix, paginationKey)
                .thenApply(page -> new KeysPage(page.keys(), page.nextPageToken()));
    }

    /**
     * Names directly under {@code prefix}, treated as a directory ({@code "a/b"} lists what
     * {@code "a/b/"} does), without trailing {@code /}; {@code pageSize <= 0} is the default 1000.
     */
    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String paginationKey, int pageSize) {
        String directory = prefix == null || prefix.isEmpty() ? "" : prefix.endsWith("/") ? prefix : prefix + "/";
        return delegate.listKeysNonRecursive(directory, paginationKey, pageSize)
                .thenApply(page -> new KeysPage(withoutTrailingSlash(page.keys()), page.nextPageToken()));
    }

    private static List<String> withoutTrailingSlash(List<String> names) {
        return names.stream().map(name -> name.endsWith("/") ? name.substring(0, name.length() - 1) : name).toList();
    }

    /** Closes our provider and this adapter's spooling threads. Idempotent. */
    @Override
    public void close() {
        spooler.shutdownNow();
        delegate.close();
    }
}
