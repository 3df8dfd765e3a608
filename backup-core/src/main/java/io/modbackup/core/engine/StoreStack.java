package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.RateLimitedProvider;
import io.modbackup.core.store.RetryingProvider;
import io.modbackup.core.store.SealingProvider;
import io.modbackup.core.store.TransferLimits;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * The layers every process stacks on a user's provider, built in one place for the Conductor's engine
 * and each Supervisor's worker alike: the process's transfer limits on the provider, retries above them (every store operation is idempotent),
 * sealing above the retries (a retry resends the sealed bytes, never seals again), and the manifest and
 * chunk stores on the sealing layer.
 *
 * @param retrying the provider with retries, for what is never sealed by design (leases)
 * @param sealing compression and encryption over {@code retrying}
 * @param store manifests, the index and ownership, on {@code sealing}
 * @param chunks chunks, on {@code sealing}
 * @param limits the process's transfer limits, which the bottom of the stack ({@link RateLimitedProvider}) keeps
 */
record StoreStack(BackupProvider retrying, SealingProvider sealing, BackupStore store, ChunkStore chunks,
                  TransferLimits limits) {

    /**
     * The stack on {@code provider}, sized and keyed by {@code options}, running its I/O on {@code io} and
     * the fsyncs of restored files on {@code syncs}.
     */
    static StoreStack open(BackupProvider provider, BackupOptions options, Executor io, Executor syncs, Clock clock) {
        TransferLimits limits = new TransferLimits();
        BackupProvider retrying = new RetryingProvider(new RateLimitedProvider(provider, limits), BackupEngine.RETRY_ATTEMPTS,
                BackupEngine.RETRY_FIRST_DELAY);
        SealingProvider sealing = new SealingProvider(retrying, options.compression(), options.masterKey(), io, clock);
        return new StoreStack(retrying, sealing, new BackupStore(sealing, new ManifestCodec(), io),
                new ChunkStore(sealing, io, syncs, new Semaphore(options.maxUploadsInFlight()), options.inlineThreshold()), limits);
    }
}
