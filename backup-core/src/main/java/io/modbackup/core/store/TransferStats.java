package io.modbackup.core.store;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What one backup of a task (or of a jar) read and sent; counted from engine threads, thread-safe. */
public final class TransferStats {
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong newBytes = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong chunksUploaded = new AtomicLong();
    private final AtomicLong chunksReused = new AtomicLong();
    private final AtomicLong filesReused = new AtomicLong();
    private final LongAdder alsoRead;

    /** Stats of one backup. */
    public TransferStats() {
        this(new LongAdder());
    }

    /** Stats of one backup whose bytes read also count into {@code alsoRead}, a worker's total across its tasks. */
    public TransferStats(LongAdder alsoRead) {
        this.alsoRead = alsoRead;
    }

    /** Counts {@code bytes} read from local files and hashed. */
    void read(long bytes) {
        bytesRead.addAndGet(bytes);
        alsoRead.add(bytes);
    }

    /**
     * Counts {@code bytes} of content the backup built on did not hold: chunks sent, and small files
     * inlined whose content changed.
     */
    void added(long bytes) {
        newBytes.addAndGet(bytes);
    }

    /** Counts {@code bytes} sent to the store, as stored (compressed, encrypted). */
    void sent(long bytes) {
        bytesSent.addAndGet(bytes);
    }

    /** Counts one chunk uploaded. */
    void uploaded() {
        chunksUploaded.incrementAndGet();
    }

    /** Counts {@code chunks} found in the store (or in this backup) already. */
    public void reused(long chunks) {
        chunksReused.addAndGet(chunks);
    }

    /** Counts one file reused from the previous backup without being read. */
    public void fileReused() {
        filesReused.incrementAndGet();
    }

    /** Counts {@code files} reused from the previous backup without being read (a whole segment of them). */
    public void filesReused(long files) {
        filesReused.addAndGet(files);
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    public long newBytes() {
        return newBytes.get();
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    public long chunksUploaded() {
        return chunksUploaded.get();
    }

    public long chunksReused() {
        return chunksReused.get();
    }

    public long filesReused() {
        return filesReused.get();
    }
}
