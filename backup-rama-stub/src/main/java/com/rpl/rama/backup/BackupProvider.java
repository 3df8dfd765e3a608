package com.rpl.rama.backup;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A stub of Rama's backup provider interface with its published signatures, for compiling and
 * testing against; the real one comes from Rama's classpath. The semantics described here are those
 * of Rama's open-source S3 provider and its public tests.
 */
public interface BackupProvider {

    /** Opens the object under {@code key}; completes with {@code null} when it is absent. */
    <T extends InputStream> CompletableFuture<T> getObject(String key);

    /** Stores the bytes of {@code in} under {@code key}; {@code contentLength} may be {@code null} (unknown). */
    CompletableFuture<Void> putObject(String key, InputStream in, Long contentLength);

    /** Deletes the object under {@code key}. */
    CompletableFuture<Void> deleteObject(String key);

    /** Whether an object is stored under {@code key}; Rama's own providers complete {@code false} on any error. */
    CompletableFuture<Boolean> hasKey(String key);

    /** Full keys under {@code prefix}, a page at a time; {@code paginationKey} is null for the first page. */
    CompletableFuture<KeysPage> listKeysRecursive(String prefix, String paginationKey);

    /**
     * Names directly under {@code prefix} (objects and "directories" alike, without a trailing
     * {@code /}), at most {@code pageSize} a page ({@code -1}: the provider's default of 1000).
     */
    CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String paginationKey, int pageSize);

    /** Releases the provider's resources. */
    void close();

    /** One page of a listing; {@code nextPageMarker} is null on the last page. */
    class KeysPage {
        public final List<String> keys;
        public final String nextPageMarker;

        public KeysPage(List<String> keys, String nextPageMarker) {
            this.keys = keys;
            this.nextPageMarker = nextPageMarker;
        }
    }
}
