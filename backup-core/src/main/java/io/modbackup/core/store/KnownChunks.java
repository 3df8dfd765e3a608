package io.modbackup.core.store;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One backup's chunk index: the chunks it may take as stored without asking the store, and the chunks
 * it is sending. Chunks come in from a committed backup's manifests (present, and kept so by the
 * backup's lease against GC) and from this backup's own completed uploads. A chunk being sent by one
 * file is not sent again by another, of the same task or of another task sharing this index: the
 * second waits for the first upload instead, and fails with it.
 *
 * <p>A chunk in neither set is sent without a lookup unless {@link #probeOthers()}: re-sending a
 * chunk the store has writes the same bytes again, never loses any. Thread-safe.
 */
public final class KnownChunks {
    private final Set<String> stored = ConcurrentHashMap.newKeySet();
    private final ConcurrentMap<String, CompletableFuture<Void>> sending = new ConcurrentHashMap<>();
    private final boolean probeOthers;

    /**
     * @param probeOthers whether a chunk this index does not hold is looked up in the store before it is
     *     sent (when it may well be there: the module has backups but none this one can build on)
     */
    public KnownChunks(boolean probeOthers) {
        this.probeOthers = probeOthers;
    }

    /** Adds chunks that the store holds: those of a committed backup read under this backup's lease. */
    public void addStored(Collection<String> chunks) {
        stored.addAll(chunks);
    }

    /** Whether a chunk this index does not hold is looked up before it is sent. */
    public boolean probeOthers() {
        return probeOthers;
    }

    /** Whether {@code sha} is known to be stored. */
    public boolean holds(String sha) {
        return stored.contains(sha);
    }

    /** The number of chunks known to be stored. */
    public int size() {
        return stored.size();
    }

    /**
     * Claims {@code sha} for sending. Completes at once with null when the chunk is stored; returns null
     * when the caller must send it (it then calls {@link #sent} or {@link #failed} with {@code mine});
     * otherwise returns another sender's upload, which the caller waits for.
     */
    CompletableFuture<Void> claim(String sha, CompletableFuture<Void> mine) {
        if (stored.contains(sha)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> other = sending.putIfAbsent(sha, mine);
        if (other == null && stored.contains(sha)) {
            // Stored between the two checks: nothing to send after all.
            sending.remove(sha, mine);
            mine.complete(null);
            return mine;
        }
        return other;
    }

    /** The upload claimed with {@code mine} completed: the chunk is stored. */
    void sent(String sha, CompletableFuture<Void> mine) {
        stored.add(sha);
        sending.remove(sha, mine);
        mine.complete(null);
    }

    /** The upload claimed with {@code mine} failed: the next file with this chunk sends it again. */
    void failed(String sha, CompletableFuture<Void> mine, Throwable error) {
        sending.remove(sha, mine);
        mine.completeExceptionally(error);
    }
}
