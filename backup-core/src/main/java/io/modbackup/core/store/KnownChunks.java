package io.modbackup.core.store;

import io.modbackup.core.manifest.FileEntry;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One backup's chunk index: the chunks it may take as stored without asking the store, and the chunks
 * it is sending. Stored are: a file's chunks in the committed backup it builds on ({@link
 * #withPrevious}), every chunk of that backup when it is added whole ({@link #addStored}: after a
 * restore, when files may come back under other names), all present and kept so by the backup's lease
 * against GC; and the chunks this backup sent. Names are held as raw bytes (about 64 bytes a chunk).
 * A chunk being sent by one file is not sent again by another, of the same task or of another task
 * sharing this index: the second waits for the first upload, and fails with it.
 *
 * <p>A chunk in neither is sent without a lookup unless {@link #probeOthers()}: re-sending a chunk
 * the store has writes the same bytes again, never loses any. Thread-safe.
 */
public final class KnownChunks {
    private final ChunkHashSet sent;
    private final ConcurrentMap<String, CompletableFuture<Void>> sending;
    private final boolean probeOthers;
    /** The chunks of the file being stored in the backup built on; empty for none. */
    private final List<String> previous;
    /** The content hash of that file, or null for none. */
    private final String previousContent;
    /** That file's entry when it was packed, or null. */
    private final FileEntry previousPacked;

    /**
     * @param probeOthers whether a chunk this index does not hold is looked up in the store before it is
     *     sent (when it may well be there: the module has backups but none this one can build on)
     */
    public KnownChunks(boolean probeOthers) {
        this(new ChunkHashSet(), new ConcurrentHashMap<>(), probeOthers, List.of(), null, null);
    }

    private KnownChunks(ChunkHashSet sent, ConcurrentMap<String, CompletableFuture<Void>> sending,
                        boolean probeOthers, List<String> previous, String previousContent, FileEntry previousPacked) {
        this.sent = sent;
        this.sending = sending;
        this.probeOthers = probeOthers;
        this.previous = previous;
        this.previousContent = previousContent;
        this.previousPacked = previousPacked;
    }

    /**
     * This index, plus the same file in the committed backup this one builds on ({@code before}, null for
     * none): a file that grew or changed in part sends only its new chunks, and a small file whose content
     * is unchanged is not counted as new content.
     */
    public KnownChunks withPrevious(FileEntry before) {
        return before == null ? this : new KnownChunks(sent, sending, probeOthers, before.chunks(), before.sha256(),
                before.pack() != null ? before : null);
    }

    /**
     * The file's entry in the backup built on when it was packed and held {@code contentHash}: its slice of its
     * pack serves again. Null otherwise.
     */
    FileEntry previousPackedWith(String contentHash) {
        return previousPacked != null && previousPacked.sha256().equals(contentHash) ? previousPacked : null;
    }

    /** Whether {@code contentHash} is the whole content of the file in the backup built on. */
    boolean previousContentIs(String contentHash) {
        return contentHash.equals(previousContent);
    }

    /** Adds chunks that the store holds: those of a committed backup read under this backup's lease. */
    public void addStored(Collection<String> chunks) {
        chunks.forEach(sent::add);
    }

    /** Whether a chunk this index does not hold is looked up before it is sent. */
    public boolean probeOthers() {
        return probeOthers;
    }

    /** Whether {@code sha} is known to be stored. */
    public boolean holds(String sha) {
        return previous.contains(sha) || sent.contains(sha);
    }

    /** The number of chunks known to be stored (added or sent). */
    public int size() {
        return sent.size();
    }

    /**
     * Claims {@code sha} for sending. Completes at once with null when the chunk is stored; returns null
     * when the caller must send it (it then calls {@link #sent} or {@link #failed} with {@code mine});
     * otherwise returns another sender's upload, which the caller waits for.
     */
    CompletableFuture<Void> claim(String sha, CompletableFuture<Void> mine) {
        if (holds(sha)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> other = sending.putIfAbsent(sha, mine);
        if (other == null && sent.contains(sha)) {
            // Sent between the two checks: nothing to send after all.
            sending.remove(sha, mine);
            mine.complete(null);
            return mine;
        }
        return other;
    }

    /** The upload claimed with {@code mine} completed: the chunk is stored. */
    void sent(String sha, CompletableFuture<Void> mine) {
        sent.add(sha);
        sending.remove(sha, mine);
        mine.complete(null);
    }

    /** The upload claimed with {@code mine} failed: the next file with this chunk sends it again. */
    void failed(String sha, CompletableFuture<Void> mine, Throwable error) {
        sending.remove(sha, mine);
        mine.completeExceptionally(error);
    }
}
