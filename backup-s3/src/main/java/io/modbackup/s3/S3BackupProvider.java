package io.modbackup.s3;

import static io.modbackup.api.provider.ProviderCalls.deleteQuietly;
import static io.modbackup.api.provider.ProviderCalls.report;
import static io.modbackup.api.provider.ProviderCalls.unwrap;
import static io.modbackup.api.provider.ProviderCalls.withValidKey;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ObjectKeys;
import io.modbackup.api.provider.ObjectRetention;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.provider.ProgressInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;

/**
 * A {@link BackupProvider} on Amazon S3 (or an S3-compatible store) through the asynchronous client
 * of the AWS SDK for Java v2. Credentials come from the SDK's default provider chain and are never
 * logged. Objects above the part size go multipart; downloads stream; deletes go in batches of 1000;
 * retries follow the SDK's retry strategy.
 *
 * <p>Config: {@code backup.provider: "io.modbackup.s3.S3BackupProvider s3://bucket/prefix [options]"};
 * see {@link S3ProviderConfig} for the forms and options.
 */
public final class S3BackupProvider implements BackupProvider {
    private static final Logger log = LoggerFactory.getLogger(S3BackupProvider.class);
    private static final int DELETE_BATCH = 1000;
    private static final long CLOSE_QUIET_MILLIS = 250;
    private static final long CLOSE_TIMEOUT_SECONDS = 15;

    private final S3ProviderConfig config;
    private final SdkEventLoopGroup eventLoops;
    private final S3AsyncClient client;
    private final ExecutorService streams;
    private final RequestCounter requests = new RequestCounter();
    /** Object Lock of created objects, or null when the store has none. */
    private final S3ObjectLock lock;
    private volatile ProgressListener progressListener;

    /**
     * The provider for the config argument, checking that the bucket exists (creating it when
     * {@code createBucket=true}).
     *
     * @throws IllegalArgumentException when the argument is malformed or the bucket missing
     */
    public S3BackupProvider(String argument) {
        this(S3ProviderConfig.parse(argument));
    }

    /** The provider for {@code config}; checks the bucket as {@link #S3BackupProvider(String)} does. */
    public S3BackupProvider(S3ProviderConfig config) {
        this(config, java.time.Clock.systemUTC());
    }

    /**
     * As {@link #S3BackupProvider(S3ProviderConfig)}, dating Object Lock retentions by {@code clock} (the
     * server's own clock decides when they end).
     */
    public S3BackupProvider(S3ProviderConfig config, java.time.Clock clock) {
        this.config = config;
        // Our own event loops, not the HTTP client's: the client closes its own with a 2 s quiet period,
        // which every command that opens a provider (a CLI call, a GC, a test) would wait out on close;
        // ours wait CLOSE_QUIET_MILLIS for the connections' last releases.
        this.eventLoops = SdkEventLoopGroup.builder().build();
        try {
            this.client = buildClient(config, requests, eventLoops);
        } catch (RuntimeException e) {
            closeEventLoops();
            throw e;
        }
        AtomicInteger threads = new AtomicInteger();
        this.streams = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "modbackup-s3-stream-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.lock = config.objectLock() == null ? null
                : new S3ObjectLock(client, config, streams, clock, (key, error) -> describeError("lock", key, error));
        try {
            checkBucket();
            if (lock != null) {
                lock.requireEnforced();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while checking S3 bucket " + config.bucket(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static S3AsyncClient buildClient(S3ProviderConfig config, RequestCounter requests, SdkEventLoopGroup eventLoops) {
        S3AsyncClientBuilder builder = S3AsyncClient.builder()
                .overrideConfiguration(c -> c.addExecutionInterceptor(requests))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .eventLoopGroup(eventLoops)
                        .maxConcurrency(config.maxConcurrency())
                        .connectionTimeout(Duration.ofSeconds(10))
                        .connectionAcquisitionTimeout(Duration.ofSeconds(30)))
                .multipartEnabled(true)
                .multipartConfiguration(MultipartConfiguration.builder()
                        .thresholdInBytes(config.partSizeBytes())
                        .minimumPartSizeInBytes(config.partSizeBytes())
                        .build());
        if (config.region() != null) {
            builder.region(Region.of(config.region()));
        }
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        builder.serviceConfiguration(S3Configuration.builder()
                .pathStyleAccessEnabled(config.endpoint() != null)
                .expectContinueEnabled(config.expectContinue())
                .build());
        if (config.checksumsWhenRequired()) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        try {
            return builder.build();
        } catch (SdkClientException e) {
            throw new IllegalArgumentException("cannot set up the S3 client for bucket " + config.bucket() + ": "
                    + e.getMessage() + " (give region=... in the provider argument)", e);
        }
    }

    private void checkBucket() {
        try {
            client.headBucket(b -> b.bucket(config.bucket())).get();
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof NoSuchBucketException || cause instanceof S3Exception s3 && s3.statusCode() == 404) {
                if (!config.createBucket()) {
                    throw new IllegalArgumentException("S3 bucket '" + config.bucket() + "' does not exist"
                            + where() + "; create it, or add createBucket=true to the provider argument");
                }
                try {
                    client.createBucket(b -> b.bucket(config.bucket()).objectLockEnabledForBucket(
                            config.objectLock() != null ? Boolean.TRUE : null)).get();
                    log.info("created S3 bucket {}", config.bucket());
                } catch (ExecutionException | InterruptedException created) {
                    throw new IllegalArgumentException("cannot create S3 bucket '" + config.bucket() + "': "
                            + unwrap(created).getMessage(), created);
                }
                return;
            }
            throw new IllegalArgumentException(describe("reach", null, cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking S3 bucket " + config.bucket(), e);
        }
    }

    /** HTTP requests sent so far, by S3 operation (retries included), e.g. {@code PutObject=12}. */
    public Map<String, Long> requestCounts() {
        return requests.snapshot();
    }

    /** The parsed configuration. */
    public S3ProviderConfig config() {
        return config;
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return upload(key, in, length, false).thenApply(created -> null);
    }

    /** Atomic: the PutObject (or the CompleteMultipartUpload of a large object) carries {@code If-None-Match: *}. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return upload(key, in, length, true);
    }

    private CompletableFuture<Boolean> upload(String key, InputStream in, long length, boolean onlyIfAbsent) {
        return withValidKey(key, () -> {
            InputStream counted = new ProgressInputStream(in, () -> progressListener, Direction.UPLOAD, key);
            return relock(key, client.putObject(putRequest(key, length, onlyIfAbsent),
                            AsyncRequestBody.fromInputStream(counted, length, streams))
                    .handleAsync((response, error) -> created(key, error), streams));
        });
    }

    /** A create that found its key extends that object's lock as if it had created it (see {@link ObjectRetention}). */
    private CompletableFuture<Boolean> relock(String key, CompletableFuture<Boolean> create) {
        if (lock == null) {
            return create;
        }
        return create.thenCompose(created -> created ? CompletableFuture.completedFuture(true)
                : lock.extend(List.of(key), lock.createdUntil()).thenApply(v -> false));
    }

    @Override
    public java.util.Optional<ObjectRetention> retention() {
        return java.util.Optional.ofNullable(lock);
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return uploadFile(key, source, false).thenApply(created -> null);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return uploadFile(key, source, true);
    }

    @Override
    public boolean atomicCreate() {
        return true;
    }

    private CompletableFuture<Boolean> uploadFile(String key, Path source, boolean onlyIfAbsent) {
        return withValidKey(key, () -> {
            long length;
            try {
                length = Files.size(source);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(new BackupStorageException("cannot read " + source, e));
            }
            return relock(key, client.putObject(putRequest(key, length, onlyIfAbsent), AsyncRequestBody.fromFile(source))
                    .handleAsync((response, error) -> {
                        boolean created = created(key, error);
                        if (created) {
                            report(progressListener, Direction.UPLOAD, key, length);
                        }
                        return created;
                    }, streams));
        });
    }

    /**
     * Whether an upload stored its object: true on success, false when a conditional one met an object
     * (412 PreconditionFailed); any other failure is thrown, a 409 ConditionalRequestConflict (another
     * conditional write to the key in flight) included, for the caller to retry.
     */
    private boolean created(String key, Throwable error) {
        if (error == null) {
            return true;
        }
        if (unwrap(error) instanceof S3Exception s3 && s3.statusCode() == 412) {
            return false;
        }
        throw describeError("upload", key, error);
    }

    private PutObjectRequest putRequest(String key, long length, boolean onlyIfAbsent) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(config.bucket()).key(config.s3Key(key))
                .contentLength(length);
        if (onlyIfAbsent) {
            request.ifNoneMatch("*");
            if (lock != null) {
                lock.lock(request);
            }
        }
        if (config.storageClass() != null) {
            request.storageClass(StorageClass.fromValue(config.storageClass()));
        }
        if (config.sse() != null) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(config.sse()));
            if (config.kmsKeyId() != null) {
                request.ssekmsKeyId(config.kmsKeyId());
            }
        }
        return request.build();
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        return withValidKey(key, () -> client.getObject(b -> b.bucket(config.bucket()).key(config.s3Key(key)),
                        AsyncResponseTransformer.toBlockingInputStream())
                .handleAsync((stream, error) -> {
                    if (error != null) {
                        if (isNotFound(error)) {
                            return null;
                        }
                        throw describeError("download", key, error);
                    }
                    return new ProgressInputStream(stream, () -> progressListener, Direction.DOWNLOAD, key);
                }, streams));
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return withValidKey(key, () -> {
            Path partial = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".partial");
            return client.getObject(b -> b.bucket(config.bucket()).key(config.s3Key(key)),
                    AsyncResponseTransformer.toFile(partial)).handleAsync((response, error) -> {
                        if (error != null) {
                            deleteQuietly(partial);
                            if (isNotFound(error)) {
                                return false;
                            }
                            throw describeError("download", key, error);
                        }
                        try {
                            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        } catch (IOException e) {
                            deleteQuietly(partial);
                            throw new BackupStorageException("cannot move downloaded '" + key + "' into " + target, e);
                        }
                        report(progressListener, Direction.DOWNLOAD, key,
                                response.contentLength() == null ? 0 : response.contentLength());
                        return true;
                    }, streams);
        });
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return withValidKey(key, () -> client.headObject(b -> b.bucket(config.bucket()).key(config.s3Key(key)))
                .handleAsync((response, error) -> {
                    if (error == null) {
                        return true;
                    }
                    if (isNotFound(error)) {
                        return false;
                    }
                    throw describeError("check", key, error);
                }, streams));
    }

    /** One HeadObject: its content length, or -1 on 404. */
    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return withValidKey(key, () -> client.headObject(b -> b.bucket(config.bucket()).key(config.s3Key(key)))
                .handleAsync((response, error) -> {
                    if (error == null) {
                        return response.contentLength();
                    }
                    if (isNotFound(error)) {
                        return -1L;
                    }
                    throw describeError("check", key, error);
                }, streams));
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        if (lock != null) {
            return withValidKey(key, () -> lock.delete(List.of(key)));
        }
        return withValidKey(key, () -> client.deleteObject(b -> b.bucket(config.bucket()).key(config.s3Key(key)))
                .handleAsync((response, error) -> {
                    if (error != null && !isNotFound(error)) {
                        throw describeError("delete", key, error);
                    }
                    return null;
                }, streams));
    }

    @Override
    public CompletableFuture<Void> deleteObjects(List<String> keys) {
        try {
            keys.forEach(ObjectKeys::requireValidKey);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (lock != null) {
            return lock.delete(List.copyOf(keys));
        }
        List<CompletableFuture<Void>> batches = new ArrayList<>();
        for (int start = 0; start < keys.size(); start += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(start, Math.min(keys.size(), start + DELETE_BATCH)).stream()
                    .map(k -> ObjectIdentifier.builder().key(config.s3Key(k)).build()).toList();
            batches.add(client.deleteObjects(b -> b.bucket(config.bucket())
                            .delete(Delete.builder().objects(batch).quiet(true).build()))
                    .handleAsync((DeleteObjectsResponse response, Throwable error) -> {
                        if (error != null) {
                            throw describeError("delete", batch.get(0).key() + " and " + (batch.size() - 1) + " more", error);
                        }
                        if (response.hasErrors() && !response.errors().isEmpty()) {
                            var first = response.errors().get(0);
                            throw new BackupStorageException("S3 refused to delete " + response.errors().size() + " of "
                                    + batch.size() + " objects in bucket " + config.bucket() + ", e.g. '" + first.key()
                                    + "': " + first.code() + " " + first.message());
                        }
                        return null;
                    }, streams));
        }
        return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String pageToken) {
        return list(prefix, pageToken, DEFAULT_PAGE_SIZE, false);
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String pageToken, int pageSize) {
        return list(prefix, pageToken, pageSize <= 0 ? DEFAULT_PAGE_SIZE : pageSize, true);
    }

    private CompletableFuture<KeysPage> list(String prefix, String pageToken, int pageSize, boolean directoryOnly) {
        final String continuation;
        try {
            if (directoryOnly) {
                ObjectKeys.requireDirectoryPrefix(prefix);
            } else {
                ObjectKeys.requireValidPrefix(prefix);
            }
            // S3's continuation token, wrapped so that a token of another listing is refused.
            continuation = PageTokens.decode(pageToken, prefix);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        String s3Prefix = config.s3Key(prefix);
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(config.bucket()).prefix(s3Prefix)
                .maxKeys(Math.min(pageSize, 1000)).continuationToken(continuation);
        if (directoryOnly) {
            request.delimiter("/");
        }
        return client.listObjectsV2(request.build()).handleAsync((ListObjectsV2Response response, Throwable error) -> {
            if (error != null) {
                throw describeError("list", prefix, error);
            }
            List<String> names = new ArrayList<>();
            int strip = directoryOnly ? s3Prefix.length() : config.prefix().length();
            for (S3Object object : response.contents()) {
                String name = object.key().substring(strip);
                // A key ending in '/' is a directory marker (left by consoles or file-backed stores), never
                // an object of ours: ObjectKeys refuses such keys.
                if (!name.isEmpty() && !name.endsWith("/")) {
                    names.add(name);
                }
            }
            for (CommonPrefix common : response.commonPrefixes()) {
                names.add(common.prefix().substring(strip));
            }
            names.sort(null);
            String next = Boolean.TRUE.equals(response.isTruncated()) && response.nextContinuationToken() != null
                    ? PageTokens.encode(prefix, response.nextContinuationToken()) : null;
            return new KeysPage(names, next);
        }, streams);
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        this.progressListener = listener;
    }

    @Override
    public void close() {
        client.close();
        streams.shutdown();
        closeEventLoops();
    }

    /**
     * Ends the event loops once no task came for {@link #CLOSE_QUIET_MILLIS}: the client has closed its
     * connection pools, and only the releases of connections that were in flight may still come.
     */
    private void closeEventLoops() {
        eventLoops.eventLoopGroup().shutdownGracefully(CLOSE_QUIET_MILLIS, CLOSE_TIMEOUT_SECONDS * 1000, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(CLOSE_TIMEOUT_SECONDS + 1, TimeUnit.SECONDS);
    }

    private static boolean isNotFound(Throwable error) {
        Throwable cause = unwrap(error);
        return cause instanceof NoSuchKeyException || cause instanceof S3Exception s3 && s3.statusCode() == 404
                && !(cause instanceof NoSuchBucketException) && !"NoSuchBucket".equals(errorCode(s3));
    }

    private BackupStorageException describeError(String operation, String key, Throwable error) {
        Throwable cause = unwrap(error);
        return new BackupStorageException(describe(operation, key, cause), cause);
    }

    /** A message naming bucket, key, status and, for a refusal, the permission that is likely missing. */
    private String describe(String operation, String key, Throwable cause) {
        String target = "s3://" + config.bucket() + "/" + (key == null ? config.prefix() : config.s3Key(key));
        if (cause instanceof S3Exception s3) {
            String code = errorCode(s3);
            if (s3.statusCode() == 403) {
                return "access denied to " + operation + " " + target + (code == null || code.isEmpty() ? "" : " (" + code + ")")
                        + ": the credentials likely lack "
                        + permission(operation) + " on arn:aws:s3:::" + config.bucket()
                        + (operation.equals("list") || operation.equals("reach") ? "" : "/" + config.prefix() + "*");
            }
            if (cause instanceof NoSuchBucketException || "NoSuchBucket".equals(code)) {
                return "S3 bucket '" + config.bucket() + "' does not exist" + where() + " (while trying to " + operation
                        + " " + target + ")";
            }
            return "cannot " + operation + " " + target + ": S3 answered " + s3.statusCode() + " " + code + " "
                    + (s3.awsErrorDetails() == null ? s3.getMessage() : s3.awsErrorDetails().errorMessage());
        }
        if (cause instanceof SdkClientException) {
            return "cannot " + operation + " " + target + ": " + cause.getMessage() + where();
        }
        return "cannot " + operation + " " + target + ": " + cause;
    }

    private static String permission(String operation) {
        return switch (operation) {
            case "upload" -> "s3:PutObject";
            case "download" -> "s3:GetObject";
            case "check" -> "s3:GetObject (and s3:ListBucket, without which a missing key reads as 403)";
            case "delete" -> "s3:DeleteObject";
            case "lock" -> "s3:GetObjectRetention, s3:PutObjectRetention and s3:ListBucketVersions";
            case "list", "reach" -> "s3:ListBucket";
            default -> "permission for " + operation;
        };
    }

    private String where() {
        return config.endpoint() == null ? "" : " at " + config.endpoint();
    }

    private static String errorCode(S3Exception s3) {
        String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
        return code == null ? "" : code;
    }

}
