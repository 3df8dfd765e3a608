package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.api.provider.LockedObjectsException;
import io.modbackup.core.async.Futures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries a provider's failed operations with bounded, jittered exponential backoff, so that a store
 * that fails now and then (throttling, a dropped connection) does not fail a backup. Every provider
 * operation is idempotent, so a retry is safe; invalid arguments ({@link IllegalArgumentException})
 * and {@link Error}s are never retried, and a put is retried only when its stream can be reset ({@code markSupported}).
 */
public final class RetryingProvider extends ForwardingBackupProvider {
    private static final Logger log = LoggerFactory.getLogger(RetryingProvider.class);

    private final int attempts;
    private final Duration firstDelay;

    /**
     * @param attempts tries per operation, at least 1
     * @param firstDelay pause before the first retry; doubles each time (with jitter)
     */
    public RetryingProvider(BackupProvider delegate, int attempts, Duration firstDelay) {
        super(delegate);
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
        this.attempts = attempts;
        this.firstDelay = firstDelay;
    }

    private <T> CompletableFuture<T> retry(String what, Supplier<CompletableFuture<T>> operation) {
        return attempt(what, operation, 1);
    }

    private <T> CompletableFuture<T> attempt(String what, Supplier<CompletableFuture<T>> operation, int attempt) {
        CompletableFuture<T> result = new CompletableFuture<>();
        operation.get().whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
                return;
            }
            Throwable cause = Futures.cause(error);
            // An Error (out of memory, a dying process) is not a store hiccup: retrying would only delay it.
            // Nor is a lock against deletion: it holds until its time, whatever the retries.
            if (attempt >= attempts || cause instanceof IllegalArgumentException || cause instanceof Error
                    || cause instanceof LockedObjectsException) {
                result.completeExceptionally(cause);
                return;
            }
            long delay = firstDelay.toMillis() << Math.min(attempt - 1, 10);
            delay += ThreadLocalRandom.current().nextLong(delay + 1);
            log.debug("retrying {} (attempt {} of {}) in {} ms after: {}", what, attempt + 1, attempts, delay, cause.toString());
            Futures.forward(CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                    .thenCompose(v -> attempt(what, operation, attempt + 1)), result);
        });
        return result;
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        if (!in.markSupported()) {
            return delegate().putObject(key, in, length);
        }
        in.mark(Integer.MAX_VALUE);
        return retry("put " + key, () -> {
            try {
                in.reset();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return delegate().putObject(key, in, length);
        });
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return retry("put " + key, () -> delegate().putFile(key, source));
    }

    /** Retried as a put; an attempt after one whose outcome was lost may find that attempt's object (false). */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return createObject(key, in, length, Durability.IMMEDIATE);
    }

    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        if (!in.markSupported()) {
            return delegate().createObject(key, in, length, durability);
        }
        in.mark(Integer.MAX_VALUE);
        return retry("create " + key, () -> {
            try {
                in.reset();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            return delegate().createObject(key, in, length, durability);
        });
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return createFile(key, source, Durability.IMMEDIATE);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        return retry("create " + key, () -> delegate().createFile(key, source, durability));
    }

    /** Retried: a barrier makes durable what is already stored, so repeating it is harmless. */
    @Override
    public CompletableFuture<Void> barrier() {
        return retry("make the stored objects durable", () -> delegate().barrier());
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return retry("get " + key, () -> delegate().getObject(key));
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return retry("get " + key, () -> delegate().getFile(key, target));
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return retry("check " + key, () -> delegate().hasKey(key));
    }

    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return retry("check " + key, () -> delegate().objectSize(key));
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return retry("delete " + key, () -> delegate().deleteObject(key));
    }

    /**
     * One batch call first; if it fails (a batch fails whole when any key does), each key is deleted
     * and retried on its own, so one flaky key does not make every retry of the batch fail. Deleting
     * is idempotent, so keys the batch already removed cost only a request.
     */
    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        List<String> copy = List.copyOf(keys);
        CompletableFuture<Void> result = new CompletableFuture<>();
        delegate().deleteObjects(copy).whenComplete((v, error) -> {
            if (error == null) {
                result.complete(null);
                return;
            }
            Throwable cause = Futures.cause(error);
            if (cause instanceof IllegalArgumentException || cause instanceof Error || cause instanceof LockedObjectsException) {
                result.completeExceptionally(cause);
                return;
            }
            log.debug("deleting {} objects key by key after: {}", copy.size(), cause.toString());
            Futures.forward(CompletableFuture.allOf(copy.stream().map(this::deleteObject).toArray(CompletableFuture[]::new)),
                    result);
        });
        return result;
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return retry("list " + prefix, () -> delegate().listKeysRecursive(prefix, pageToken));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return retry("list " + prefix, () -> delegate().listKeysNonRecursive(prefix, pageToken, pageSize));
    }
}
