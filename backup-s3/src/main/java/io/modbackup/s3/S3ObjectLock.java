package io.modbackup.s3;

import static io.modbackup.api.provider.ProviderCalls.unwrap;

import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.LockedObjectsException;
import io.modbackup.api.provider.ObjectRetention;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * S3 Object Lock for {@link S3BackupProvider}: creates carry the lock (mode and retain-until date), a
 * create that finds its key extends that object's lock, and deletes remove every version of an unlocked key
 * and leave locked ones (see {@link ObjectRetention}). The bucket must have Object Lock enabled (which
 * keeps versions); a server that accepts the lock headers and ignores them is refused when the provider
 * opens, by a probe write.
 *
 * <p>Requests: a create costs none extra (its headers); a create that finds its key, and an extension, two
 * a key (HeadObject, then PutObjectRetention where the lock ends sooner; one where it does not); a delete
 * one a key (ListObjectVersions) plus one DeleteObjects a thousand versions, and a HeadObject for each key
 * S3 refused as locked.
 */
final class S3ObjectLock implements ObjectRetention {
    /** The probe write's key, at the top of the store's prefix: no listing of the engine meets it. */
    static final String PROBE_KEY = "object-lock-probe";
    private static final int DELETE_BATCH = 1000;

    private final S3AsyncClient client;
    private final S3ProviderConfig config;
    private final Executor executor;
    private final Clock clock;
    private final BiFunction<String, Throwable, BackupStorageException> describe;

    S3ObjectLock(S3AsyncClient client, S3ProviderConfig config, Executor executor, Clock clock,
                 BiFunction<String, Throwable, BackupStorageException> describe) {
        this.client = client;
        this.config = config;
        this.executor = executor;
        this.clock = clock;
        this.describe = describe;
    }

    @Override
    public Duration period() {
        return config.objectLock().retention();
    }

    private ObjectLockRetentionMode retentionMode() {
        return ObjectLockRetentionMode.fromValue(config.objectLock().mode());
    }

    /** Until when a create made now locks its object: now plus one and a half periods, to the second above. */
    Instant createdUntil() {
        return clock.instant().plus(period().multipliedBy(3).dividedBy(2)).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    }

    /** {@code request} (a create's) with the lock, and the checksum S3 requires of a locked upload. */
    PutObjectRequest.Builder lock(PutObjectRequest.Builder request) {
        return request.objectLockMode(ObjectLockMode.fromValue(config.objectLock().mode()))
                .objectLockRetainUntilDate(createdUntil()).checksumAlgorithm(ChecksumAlgorithm.CRC32);
    }

    /**
     * Checks, when the provider opens, that the bucket has Object Lock enabled and that the server locks
     * what it is asked to: a probe object written with a one-day lock must read back locked.
     *
     * @throws IllegalArgumentException saying what to change
     */
    void requireEnforced() throws InterruptedException {
        String where = "S3 bucket '" + config.bucket() + "'" + (config.endpoint() == null ? "" : " at " + config.endpoint());
        try {
            var configuration = client.getObjectLockConfiguration(b -> b.bucket(config.bucket())).get()
                    .objectLockConfiguration();
            if (configuration == null || configuration.objectLockEnabled() != ObjectLockEnabled.ENABLED) {
                throw notEnabled(where);
            }
        } catch (ExecutionException e) {
            if (unwrap(e) instanceof S3Exception s3 && (s3.statusCode() == 404 || s3.statusCode() == 400)) {
                throw notEnabled(where);
            }
            throw new IllegalArgumentException("cannot read the Object Lock configuration of " + where + ": "
                    + unwrap(e).getMessage(), unwrap(e));
        }
        Instant until = clock.instant().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        String probe = config.s3Key(PROBE_KEY);
        try {
            client.putObject(b -> b.bucket(config.bucket()).key(probe).objectLockMode(ObjectLockMode.fromValue(
                    config.objectLock().mode())).objectLockRetainUntilDate(until).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                    AsyncRequestBody.fromString("probe")).get();
            Instant stored = client.headObject(b -> b.bucket(config.bucket()).key(probe)).get().objectLockRetainUntilDate();
            if (stored == null || stored.isBefore(until)) {
                throw ignored(where, "it read back " + stored);
            }
        } catch (ExecutionException e) {
            if (unwrap(e) instanceof S3Exception s3 && s3.statusCode() == 404) {
                throw ignored(where, "it has no retention");
            }
            throw new IllegalArgumentException("cannot write the Object Lock probe " + probe + " to " + where + ": "
                    + unwrap(e).getMessage(), unwrap(e));
        }
    }

    private static IllegalArgumentException notEnabled(String where) {
        return new IllegalArgumentException(where + " does not have Object Lock enabled, which objectLock= needs: create"
                + " the bucket with Object Lock enabled (or give createBucket=true for a new one), or drop objectLock=");
    }

    private static IllegalArgumentException ignored(String where, String what) {
        return new IllegalArgumentException(where + " ignored the Object Lock of a probe write (" + what + "): the"
                + " server does not lock objects, so this store would not be protected; use a server that implements"
                + " Object Lock, or drop objectLock=");
    }

    @Override
    public CompletableFuture<Optional<Instant>> lockedUntil(String key) {
        // HeadObject carries the lock (to callers with s3:GetObjectRetention): one metadata request.
        return client.headObject(b -> b.bucket(config.bucket()).key(config.s3Key(key))).handleAsync((r, error) -> {
            if (error != null) {
                if (unwrap(error) instanceof S3Exception s3 && s3.statusCode() == 404) {
                    return Optional.<Instant>empty(); // no such key
                }
                throw describe.apply(key, error);
            }
            Instant until = r.objectLockRetainUntilDate();
            return until != null && until.isAfter(clock.instant()) ? Optional.of(until) : Optional.<Instant>empty();
        }, executor);
    }

    /**
     * Reads each object's lock first and sets a later one only where it ends sooner: S3 refuses to shorten a
     * lock, but not every S3-speaking server does (moto shortens a governance lock when asked).
     */
    @Override
    public CompletableFuture<Void> extend(Collection<String> keys, Instant until) {
        List<CompletableFuture<Void>> calls = new ArrayList<>(keys.size());
        for (String key : keys) {
            calls.add(client.headObject(b -> b.bucket(config.bucket()).key(config.s3Key(key))).handleAsync((head, error) -> {
                if (error != null) {
                    if (unwrap(error) instanceof S3Exception s3 && s3.statusCode() == 404) {
                        return false; // gone: nothing to keep
                    }
                    throw describe.apply(key, error);
                }
                Instant current = head.objectLockRetainUntilDate();
                return current == null || current.isBefore(until);
            }, executor).thenCompose(sooner -> !sooner ? CompletableFuture.completedFuture(null)
                    : client.putObjectRetention(b -> b.bucket(config.bucket()).key(config.s3Key(key))
                            .retention(r -> r.mode(retentionMode()).retainUntilDate(until)))
                    .handleAsync((r, error) -> {
                        if (error != null) {
                            throw describe.apply(key, error);
                        }
                        return null;
                    }, executor)));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    }

    /**
     * Deletes every version of each key; S3 refuses the locked ones, which are left and named, with when their
     * lock ends, in a {@link LockedObjectsException} once the others are gone. The server's refusal decides
     * (the probe at open proved it locks what it is asked to), so an unlocked key costs no lookup.
     */
    CompletableFuture<Void> delete(List<String> keys) {
        List<CompletableFuture<List<ObjectIdentifier>>> versions = new ArrayList<>();
        keys.forEach(key -> versions.add(versionsOf(key)));
        return CompletableFuture.allOf(versions.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<ObjectIdentifier> all = new ArrayList<>();
            versions.forEach(list -> all.addAll(list.join()));
            List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<Void>> batches = new ArrayList<>();
            for (int from = 0; from < all.size(); from += DELETE_BATCH) {
                List<ObjectIdentifier> batch = all.subList(from, Math.min(all.size(), from + DELETE_BATCH));
                batches.add(client.deleteObjects(b -> b.bucket(config.bucket()).delete(Delete.builder().objects(batch)
                        .quiet(true).build())).handleAsync((response, error) -> {
                            if (error != null) {
                                throw describe.apply(batch.get(0).key(), error);
                            }
                            response.errors().forEach(e -> refused.add(e.key().substring(config.prefix().length())));
                            return null;
                        }, executor));
            }
            return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new))
                    .thenCompose(done -> locksOf(new java.util.TreeSet<>(refused)));
        }).thenAccept(locked -> {
            if (!locked.isEmpty()) {
                throw new LockedObjectsException(locked);
            }
        });
    }

    /** When the locks of {@code keys} end (a key S3 kept without saying until when counts a period from now). */
    private CompletableFuture<Map<String, Instant>> locksOf(Collection<String> keys) {
        Map<String, Instant> locked = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> heads = new ArrayList<>();
        for (String key : keys) {
            heads.add(lockedUntil(key).thenAccept(until -> locked.put(key, until.orElse(clock.instant().plus(period())))));
        }
        return CompletableFuture.allOf(heads.toArray(CompletableFuture[]::new)).thenApply(v -> locked);
    }

    /** Every version and delete marker of exactly {@code key}. */
    private CompletableFuture<List<ObjectIdentifier>> versionsOf(String key) {
        String s3Key = config.s3Key(key);
        return client.listObjectVersions(b -> b.bucket(config.bucket()).prefix(s3Key)).handleAsync((r, error) -> {
            if (error != null) {
                throw describe.apply(key, error);
            }
            List<ObjectIdentifier> ids = new ArrayList<>();
            r.versions().stream().filter(version -> version.key().equals(s3Key))
                    .forEach(version -> ids.add(ObjectIdentifier.builder().key(s3Key).versionId(version.versionId()).build()));
            r.deleteMarkers().stream().filter(marker -> marker.key().equals(s3Key))
                    .forEach(marker -> ids.add(ObjectIdentifier.builder().key(s3Key).versionId(marker.versionId()).build()));
            return ids;
        }, executor);
    }
}
