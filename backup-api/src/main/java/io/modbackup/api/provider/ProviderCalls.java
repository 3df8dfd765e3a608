package io.modbackup.api.provider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** What every provider's calls share: the key check, the failure's cause, progress reports, partial files. */
public final class ProviderCalls {
    private ProviderCalls() {
    }

    /**
     * The call's future, or one failed with {@link IllegalArgumentException} when {@link ObjectKeys} refuses
     * {@code key}, as the SPI requires, without making the call.
     */
    public static <T> CompletableFuture<T> withValidKey(String key, Supplier<CompletableFuture<T>> call) {
        try {
            ObjectKeys.requireValidKey(key);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return call.get();
    }

    /** The failure under any {@link CompletionException} and {@link ExecutionException} wrapping it. */
    public static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Tells {@code listener}, when there is one, of {@code bytes} moved; nothing for none. */
    public static void report(BackupProvider.ProgressListener listener, BackupProvider.Direction direction, String key,
                              long bytes) {
        if (listener != null && bytes > 0) {
            listener.bytesTransferred(direction, key, bytes);
        }
    }

    /** Removes a download's partial file after a failure; one left behind is harmless (the next uses a new name). */
    public static void deleteQuietly(Path partial) {
        try {
            Files.deleteIfExists(partial);
        } catch (IOException ignored) {
            // see above
        }
    }
}
