package io.modbackup.core.store;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of one backup or restore, updated from engine threads. */
public final class TransferStats {
    public final AtomicLong bytesRead = new AtomicLong();
    public final AtomicLong bytesWritten = new AtomicLong();
    public final AtomicLong newBytes = new AtomicLong();
    public final AtomicLong chunksUploaded = new AtomicLong();
    public final AtomicLong chunksReused = new AtomicLong();
    public final AtomicLong filesReused = new AtomicLong();
    public final AtomicLong filesDone = new AtomicLong();
}
