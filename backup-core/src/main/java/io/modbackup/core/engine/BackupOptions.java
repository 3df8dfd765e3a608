package io.modbackup.core.engine;

import io.modbackup.api.crypto.MasterKeyProvider;
import io.modbackup.core.seal.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How the engine backs up and restores. Immutable; start from {@link #defaults()}.
 *
 * @param chunkSize files are split into chunks of this many bytes, each stored once by its content hash
 * @param inlineThreshold files of at most this many bytes are kept inside the task manifest
 * @param maxUploadsInFlight chunk uploads in flight at once, across all tasks
 * @param ioThreads threads reading, hashing and writing local files
 * @param taskParallelism tasks backed up or restored at once
 * @param leaseTtl how long a backup's or GC's lease in the store lives without a heartbeat; also the
 *     grace period after which a crashed backup's orphans are collected
 * @param lockWait how long a backup waits for a GC (and a GC for backups) before giving up
 * @param taskTimeout how long one attempt at one task's backup or restore may take before it counts as
 *     failed; bounds the wait for a Supervisor that hangs
 * @param taskAttempts attempts per task before the backup or restore fails (a failed task is retried;
 *     a corrupt backup or an invalid request is not)
 * @param compression how chunks and manifests are compressed ({@code backup.compression})
 * @param masterKey the master key of an encrypted store ({@code backup.encryption.key}), or null for a
 *     store that is not encrypted
 * @param scratchDirectory where a restore stages the module's jar: a directory of the node's own state,
 *     created {@code 0700}; null for this user's private directory in the temporary directory
 *     ({@link io.modbackup.core.fs.PrivateFiles#userScratch()})
 */
public record BackupOptions(int chunkSize, int inlineThreshold, int maxUploadsInFlight, int ioThreads,
                            int taskParallelism, Duration leaseTtl, Duration lockWait, Duration taskTimeout,
                            int taskAttempts, Compression compression, MasterKeyProvider masterKey,
                            Path scratchDirectory) {
    /** 8 MiB. */
    public static final int DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
    /** 128 MiB: a reader holds a chunk whole while it opens it, so chunks stay far below any heap. */
    public static final int MAX_CHUNK_SIZE = io.modbackup.core.manifest.ManifestCodec.MAX_CHUNK_SIZE;

    public BackupOptions {
        if (chunkSize < 1024 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunkSize must be within [1024 bytes, " + (MAX_CHUNK_SIZE >> 20)
                    + " MiB], got " + chunkSize);
        }
        if (inlineThreshold < 0 || inlineThreshold > 1024 * 1024) {
            throw new IllegalArgumentException("inlineThreshold must be within [0, 1 MiB], got " + inlineThreshold);
        }
        if (maxUploadsInFlight < 1 || ioThreads < 1 || taskParallelism < 1) {
            throw new IllegalArgumentException("maxUploadsInFlight, ioThreads and taskParallelism must be at least 1");
        }
        if (leaseTtl.isNegative() || leaseTtl.isZero() || lockWait.isNegative()) {
            throw new IllegalArgumentException("leaseTtl must be positive and lockWait not negative");
        }
        if (taskTimeout.isNegative() || taskTimeout.isZero() || taskAttempts < 1) {
            throw new IllegalArgumentException("taskTimeout must be positive and taskAttempts at least 1");
        }
        java.util.Objects.requireNonNull(compression, "compression");
    }

    /**
     * Files of one task stored or restored at once: twice the uploads in flight, enough to keep the
     * uploads busy while small files are hashed, and a bound on what a task of any size holds.
     */
    public int filesInFlightPerTask() {
        return 2 * maxUploadsInFlight;
    }

    /**
     * 8 MiB chunks, 4 KiB inline threshold, 16 uploads in flight, 4 I/O threads, 4 tasks at once,
     * 10-minute leases, 30-minute lock wait, 30 minutes and 2 attempts per task, zstd at level 3, no
     * encryption.
     */
    public static BackupOptions defaults() {
        return new BackupOptions(DEFAULT_CHUNK_SIZE, 4096, 16, 4, 4, Duration.ofMinutes(10), Duration.ofMinutes(30),
                Duration.ofMinutes(30), 2, Compression.DEFAULT, null, null);
    }

    /** These options with another compression. */
    public BackupOptions withCompression(Compression c) {
        return new BackupOptions(chunkSize, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, leaseTtl,
                lockWait, taskTimeout, taskAttempts, c, masterKey, scratchDirectory);
    }

    /** These options with another master key (null: the store is not encrypted). */
    public BackupOptions withMasterKey(MasterKeyProvider key) {
        return new BackupOptions(chunkSize, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, leaseTtl,
                lockWait, taskTimeout, taskAttempts, compression, key, scratchDirectory);
    }

    /**
     * These options with the store settings of a cluster config: {@code backup.compression} and
     * {@code backup.encryption.key}, where set.
     *
     * @throws io.modbackup.api.provider.BackupConfigException when a setting is malformed or its key
     *     cannot be loaded
     */
    public BackupOptions withStoreSettings(Map<String, String> config) {
        BackupOptions options = this;
        if (config.containsKey(Compression.CONFIG_KEY)) {
            options = options.withCompression(Compression.parse(config.get(Compression.CONFIG_KEY)));
        }
        String key = config.get(io.modbackup.core.crypto.MasterKeys.CONFIG_KEY);
        if (key != null && !key.isBlank()) {
            options = options.withMasterKey(new io.modbackup.core.crypto.MasterKeys().load(key));
        }
        return options;
    }

    /** These options with another chunk size. */
    public BackupOptions withChunkSize(int size) {
        return new BackupOptions(size, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, leaseTtl, lockWait,
                taskTimeout, taskAttempts, compression, masterKey, scratchDirectory);
    }

    /** These options with another lease TTL and lock wait. */
    public BackupOptions withLeases(Duration ttl, Duration wait) {
        return new BackupOptions(chunkSize, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, ttl, wait,
                taskTimeout, taskAttempts, compression, masterKey, scratchDirectory);
    }

    /** These options with another deadline and number of attempts per task. */
    public BackupOptions withTaskDeadline(Duration timeout, int attempts) {
        return new BackupOptions(chunkSize, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, leaseTtl,
                lockWait, timeout, attempts, compression, masterKey, scratchDirectory);
    }

    /** A restore stages the module's jar under {@code dir} (see {@link #scratchDirectory()}). */
    public BackupOptions withScratchDirectory(Path dir) {
        return new BackupOptions(chunkSize, inlineThreshold, maxUploadsInFlight, ioThreads, taskParallelism, leaseTtl,
                lockWait, taskTimeout, taskAttempts, compression, masterKey, dir);
    }
}
