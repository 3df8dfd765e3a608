package io.modbackup.core.engine;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.RetryingProvider;
import io.modbackup.core.store.SealingProvider;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * The layers every process stacks on a user's provider, built in one place for the Conductor's engine
 * and each Supervisor's worker alike: retries on the provider (every store operation is idempotent),
 * sealing above the retries (a retry resends the sealed bytes, never seals again), and the manifest and
 * chunk stores on the sealing layer.
 *
 * @param retrying the provider with retries, for what is never sealed by design (leases)
 * @param sealing compression and encryption over {@code retrying}
 * @param store manifests, the index and ownership, on {@code sealing}
 * @param chunks chunks, on {@code sealing}
 */
record StoreStack(BackupProvider retrying, SealingProvider sealing, BackupStore store, ChunkStore chunks) {

    /** The stack on {@code provider}, sized and keyed by {@code options}, running its I/O on {@code io}. */
    static StoreStack open(BackupProvider provider, BackupOptions options, Executor io, Clock clock) {
        BackupProvider retrying = new RetryingProvider(provider, BackupEngine.RETRY_ATTEMPTS, BackupEngine.RETRY_FIRST_DELAY);
        SealingProvider sealing = new SealingProvider(retrying, options.compression(), options.masterKey(), io, clock);
        return new StoreStack(retrying, sealing, new BackupStore(sealing, new ManifestCodec(), io),
                new ChunkStore(sealing, io, new Semaphore(options.maxUploadsInFlight()), options.inlineThreshold()));
    }
}
