package io.modbackup.api.provider;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Filesystem-like external storage that backups are written to, in the shape of Rama's own
 * backup provider SPI.
 *
 * <p><b>Keys</b> are {@code /}-separated relative paths such as {@code blobs/ab/ab12...}. A key is
 * valid when {@link ObjectKeys#requireValidKey(String)} accepts it; an invalid key or prefix fails
 * the returned future with an {@link IllegalArgumentException} naming it. A key is never also a
 * "directory" of another key (a provider may refuse to store {@code a} next to {@code a/b}).
 *
 * <p><b>Threading</b>: implementations are thread-safe. The engine calls them from its own bounded
 * executor, keeps many operations in flight, and never calls from runtime task threads. No method
 * blocks its caller on I/O: the work happens when the returned future runs.
 *
 * <p><b>Errors</b>: an absent key is never an error except where stated. Every other failure
 * completes the future exceptionally, normally with a {@link BackupStorageException} naming the key
 * and the cause. A provider never turns an error (permission denied, network failure) into
 * {@code false}, {@code null} or an empty listing.
 *
 * <p><b>Idempotency</b>: every operation may be retried. A retried put overwrites; a retried delete
 * of an already deleted key succeeds; a retried create may find its own first write (see
 * {@link #createObject}).
 *
 * <p>Implementations are loaded by {@link ProviderLoader} from the config string
 * {@code backup.provider: "<fully.qualified.Class> <argument>"}: they need a public constructor
 * taking the one {@code String} argument, or a public no-argument constructor when there is none.
 */
public interface BackupProvider extends AutoCloseable {

    /** Page size used by listings when the caller asks for the provider default. */
    int DEFAULT_PAGE_SIZE = 1000;

    /**
     * Stores {@code length} bytes read from {@code in} under {@code key}, replacing any object there.
     * Readers never observe a partial object: until the future completes they see the old object (or
     * none), afterwards the new one. The provider reads {@code in} to its end or to {@code length}
     * bytes, streaming (memory does not grow with {@code length}); the caller closes {@code in} after
     * the future completes. Fails with {@link BackupStorageException} when {@code in} holds fewer
     * than {@code length} bytes, and nothing is stored then.
     */
    CompletableFuture<Void> putObject(String key, InputStream in, long length);

    /**
     * Stores {@code length} bytes read from {@code in} under {@code key} only when no object is stored
     * there: completes with {@code true} when this call created the object, {@code false} when one was
     * there already, which it leaves untouched (and then it need not read {@code in}). Readers never
     * observe a partial object, and the caller closes {@code in}, as with {@link #putObject}.
     *
     * <p><b>Atomicity</b>: when {@link #atomicCreate()} is true, of any number of calls racing to create
     * one absent key, in this process or in others sharing the store, exactly one completes with
     * {@code true} and the object holds its bytes. The default (check with {@link #hasKey}, then
     * {@link #putObject}) is not atomic: two racing writers may both see {@code true}, the last one's bytes
     * stay. Providers override this with the store's own conditional write (S3's
     * {@code If-None-Match: *}, a no-replace link on a filesystem).
     *
     * <p><b>Idempotency</b>: a call retried after an unknown outcome may find its own first attempt's
     * object and complete with {@code false}; a caller that must know who won compares the stored bytes.
     * Fails with {@link BackupStorageException} as {@link #putObject} does.
     */
    default CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return StandardTransfers.createObject(this, key, in, length);
    }

    /**
     * Stores the file at {@code source} under {@code key} only when no object is stored there, as
     * {@link #createObject}. Providers override this with faster transfers; the default streams the file
     * through {@link #createObject}.
     */
    default CompletableFuture<Boolean> createFile(String key, Path source) {
        return StandardTransfers.createFile(this, key, source);
    }

    /**
     * When a created object must be durable (survive a crash of the machine, not only of the process):
     * {@link #IMMEDIATE}, before the create's future completes; {@link #AT_BARRIER}, by the time a later
     * {@link #barrier()} of the same provider instance completes.
     */
    enum Durability {
        /** Durable when the create completes: what the two-argument creates give. */
        IMMEDIATE,
        /**
         * Durable when the next {@link #barrier()} completes; until then a crash of the machine may leave the
         * object torn under its key, and the provider then must never let that object pass for stored.
         */
        AT_BARRIER
    }

    /**
     * {@link #createObject(String, InputStream, long)} with the durability the caller needs. A backup
     * creates its many content-addressed objects (chunks, manifest segments) {@link Durability#AT_BARRIER}
     * and calls {@link #barrier()} once before anything refers to them, so a provider whose durability costs
     * per object (an fsync) pays it once per batch. The default creates at once ({@code IMMEDIATE} is always a
     * correct way to honour {@code AT_BARRIER}).
     */
    default CompletableFuture<Boolean> createObject(String key, InputStream in, long length, Durability durability) {
        return createObject(key, in, length);
    }

    /** {@link #createFile(String, Path)} with the durability the caller needs, as {@link #createObject(String, InputStream, long, Durability)}. */
    default CompletableFuture<Boolean> createFile(String key, Path source, Durability durability) {
        return createFile(key, source);
    }

    /**
     * Completes when every object that a create of this provider instance stored (or found stored) with
     * {@link Durability#AT_BARRIER} and completed before this call is durable. Objects created after the
     * call need a later barrier. Idempotent and cheap when nothing is pending; safe to call from many
     * threads at once. Fails with {@link BackupStorageException} when an object could not be made durable
     * (it was deleted, the disk failed): the caller must then not refer to the objects it created.
     *
     * <p>A provider that defers durability to the barrier must make sure that an object a crash may have
     * torn (created {@code AT_BARRIER}, no barrier completed) is never taken as stored by a later writer:
     * {@link #hasKey} reports it absent and a create of its key replaces it. The default completes at once:
     * providers whose creates are durable when they complete (S3, Azure) need nothing more.
     */
    default CompletableFuture<Void> barrier() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Whether {@link #createObject} and {@link #createFile} are atomic against racing writers (see
     * there). Constant for a provider instance; the default methods are not, so the default is
     * {@code false}.
     */
    default boolean atomicCreate() {
        return false;
    }

    /**
     * Opens the object stored under {@code key}. Completes with {@code null} when there is no such
     * object. The caller must close the stream; reading it streams (memory does not grow with the
     * object's size). Failures while reading the stream surface as {@link IOException}s from it.
     */
    CompletableFuture<InputStream> getObject(String key);

    /**
     * Whether an object is stored under {@code key}. Completes with {@code false} only when the
     * provider knows the object is absent; any failure to find out (permission, network) fails the
     * future.
     */
    CompletableFuture<Boolean> hasKey(String key);

    /**
     * The size in bytes of the object under {@code key}; completes with {@code -1} when there is no such
     * object. As with {@link #hasKey}, any failure to find out fails the future, never {@code -1}.
     * Providers override this with a metadata request (a stat, S3's HeadObject); the default reads the
     * object through, which costs a download.
     */
    default CompletableFuture<Long> objectSize(String key) {
        return StandardTransfers.objectSize(this, key);
    }

    /** Deletes the object under {@code key}. Idempotent: deleting an absent key succeeds. */
    CompletableFuture<Void> deleteObject(String key);

    /**
     * Lists, in lexicographic (UTF-16 code unit) order, the full keys of all objects whose key starts
     * with {@code prefix} ({@code ""} lists everything), at most {@link #DEFAULT_PAGE_SIZE} per page.
     * {@code pageToken} is {@code null} for the first page, else a token from a previous page of the
     * same listing; a token the provider did not issue fails the future with
     * {@link IllegalArgumentException}. Keys written or deleted during a paginated listing may or may
     * not appear; every key present for the whole listing appears exactly once.
     */
    CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken);

    /**
     * Lists, in lexicographic order, the names directly under {@code prefix}, which is {@code ""} or
     * ends with {@code /}. Each object's name appears once as its last key segment; each
     * "directory" (a name with objects below it) appears once with a trailing {@code /}. At most
     * {@code pageSize} names per page, or {@link #DEFAULT_PAGE_SIZE} when {@code pageSize <= 0}.
     * Page tokens behave as in {@link #listKeysRecursive(String, String)}.
     */
    CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize);

    /**
     * The store's lock of objects against deletion (S3 Object Lock), when it is configured; empty by default.
     * See {@link ObjectRetention} for what creates and deletes do on such a store. Constant for an instance.
     */
    default java.util.Optional<ObjectRetention> retention() {
        return java.util.Optional.empty();
    }

    /**
     * Sets the listener told of bytes moved by later operations, replacing any previous one;
     * {@code null} removes it. The listener is called from provider threads and must be quick and
     * thread-safe.
     */
    void setProgressListener(ProgressListener listener);

    /**
     * Releases the provider's threads and connections. Operations in flight may fail afterwards.
     * Idempotent.
     */
    @Override
    void close();

    /**
     * Stores the file at {@code source} under {@code key}, as {@link #putObject}. Providers override
     * this with faster transfers (parallel multipart uploads); the default streams the file.
     */
    default CompletableFuture<Void> putFile(String key, Path source) {
        return StandardTransfers.putFile(this, key, source);
    }

    /**
     * Downloads the object under {@code key} to {@code target}, replacing it, and completes with
     * {@code true}; completes with {@code false}, creating nothing, when the object is absent. The
     * file appears whole or not at all. Providers override this with faster transfers (parallel
     * ranged reads); the default copies the stream on the thread that completes
     * {@link #getObject}.
     */
    default CompletableFuture<Boolean> getFile(String key, Path target) {
        return StandardTransfers.getFile(this, key, target);
    }

    /**
     * Deletes every key in {@code keys}, as {@link #deleteObject} does, and completes when all are
     * gone. Providers override this with batch deletes; the default issues the deletes concurrently.
     */
    default CompletableFuture<Void> deleteObjects(List<String> keys) {
        return StandardTransfers.deleteObjects(this, keys);
    }

    /**
     * One page of a listing. {@code nextPageToken} is {@code null} on the last page.
     *
     * @param keys the keys or names of this page, in lexicographic order
     * @param nextPageToken the token for the next page, or {@code null} when this is the last page
     */
    record KeysPage(List<String> keys, String nextPageToken) {
        public KeysPage {
            keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
        }

        /** Whether another page follows this one. */
        public boolean hasNextPage() {
            return nextPageToken != null;
        }
    }

    /** Direction of a transfer reported to a {@link ProgressListener}. */
    enum Direction { UPLOAD, DOWNLOAD }

    /** Told of bytes moved, for progress bars and metrics. Called from provider threads. */
    @FunctionalInterface
    interface ProgressListener {
        /** {@code bytes} more bytes of the object {@code key} moved in {@code direction}. */
        void bytesTransferred(Direction direction, String key, long bytes);
    }
}
