package io.modbackup.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.netty.NettyAsyncHttpClientBuilder;
import com.azure.core.http.rest.PagedFlux;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.util.FluxUtil;
import com.azure.storage.blob.BlobAsyncClient;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.batch.BlobBatchAsyncClient;
import com.azure.storage.blob.batch.BlobBatchClientBuilder;
import com.azure.storage.blob.models.AccessTier;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobDownloadToFileOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.blob.options.BlobUploadFromFileOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import static io.modbackup.api.provider.ProviderCalls.deleteQuietly;
import static io.modbackup.api.provider.ProviderCalls.report;
import static io.modbackup.api.provider.ProviderCalls.unwrap;
import static io.modbackup.api.provider.ProviderCalls.withValidKey;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ExactLengthInputStream;
import io.modbackup.api.provider.ObjectKeys;
import io.modbackup.api.provider.PageTokens;
import io.modbackup.api.provider.ProgressInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * A {@link BackupProvider} on Azure Blob Storage through the asynchronous client of the Azure SDK for
 * Java. Objects are block blobs: a file above the block size goes up as blocks in parallel and comes
 * down as parallel ranged reads; listings page by the service's continuation markers; deletes go in
 * batches of 256.
 *
 * <p>Config: {@code backup.provider: "io.modbackup.azure.AzureBlobBackupProvider https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX [options]"};
 * see {@link AzureProviderConfig} for the forms and options.
 *
 * <p>Credentials come from the environment, never from the argument, in this order:
 * {@code AZURE_STORAGE_CONNECTION_STRING} (its account key or shared access signature; its account must be
 * the URL's), {@code AZURE_STORAGE_SAS_TOKEN}, else the SDK's default credential chain (managed identity,
 * workload identity, {@code AZURE_CLIENT_ID}/{@code AZURE_CLIENT_SECRET}/{@code AZURE_TENANT_ID}, the Azure
 * CLI's login). None of them is logged.
 *
 * <p>Each provider owns its connection pool and event loops and ends them on {@link #close}, so that a
 * provider loaded from the drop-in jar leaves no thread behind.
 */
public final class AzureBlobBackupProvider implements BackupProvider {
    private static final Logger log = LoggerFactory.getLogger(AzureBlobBackupProvider.class);
    /** The most sub-requests one blob batch may carry. */
    private static final int DELETE_BATCH = 256;
    /** A streamed upload's block size at most, and its blocks in memory at once: 16 MiB a stream. */
    private static final long STREAM_BLOCK_SIZE = 4L << 20;
    private static final int STREAM_BLOCKS_IN_FLIGHT = 4;
    private static final Duration CLOSE_QUIET = Duration.ofMillis(250);
    /** {@code If-None-Match: *}: the write succeeds only where no blob exists. */
    private static final BlobRequestConditions ONLY_IF_ABSENT = new BlobRequestConditions().setIfNoneMatch("*");
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);

    private final AzureProviderConfig config;
    private final ConnectionProvider connections;
    private final LoopResources loops;
    private final ExecutorService streams;
    private final Scheduler streamScheduler;
    private final BlobContainerAsyncClient container;
    /** For the SDK's blob input stream, which the asynchronous client lacks; called on our threads only. */
    private final BlobContainerClient syncContainer;
    private final BlobBatchAsyncClient batches;
    private final AzureErrors errors;
    private volatile ProgressListener progressListener;

    /**
     * The provider for the config argument, with credentials from this process's environment, checking
     * that the container exists (creating it when {@code createContainer=true}).
     *
     * @throws IllegalArgumentException when the argument is malformed, the credentials unusable or the
     *     container missing
     */
    public AzureBlobBackupProvider(String argument) {
        this(AzureProviderConfig.parse(argument), System.getenv());
    }

    /**
     * The provider for {@code config} with credentials from {@code environment} (the variables named in
     * the class comment); checks the container as {@link #AzureBlobBackupProvider(String)} does.
     */
    public AzureBlobBackupProvider(AzureProviderConfig config, Map<String, String> environment) {
        this.config = config;
        AtomicInteger threads = new AtomicInteger();
        this.streams = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "modbackup-azure-stream-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.streamScheduler = Schedulers.fromExecutorService(streams, "modbackup-azure-streams");
        this.connections = ConnectionProvider.builder("modbackup-azure").maxConnections(Math.max(64, config.maxConcurrency() * 8))
                .pendingAcquireTimeout(Duration.ofSeconds(60)).build();
        this.loops = LoopResources.create("modbackup-azure", Math.max(2, Runtime.getRuntime().availableProcessors()), true);
        try {
            HttpClient http = new NettyAsyncHttpClientBuilder(reactor.netty.http.client.HttpClient.create(connections).runOn(loops))
                    .connectTimeout(Duration.ofSeconds(10)).build();
            BlobContainerClientBuilder builder = new BlobContainerClientBuilder()
                    .endpoint(config.containerUrl())
                    .httpClient(http)
                    .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, config.maxTries(), (Duration) null,
                            null, null, null));
            this.errors = new AzureErrors(config, AzureCredentials.apply(builder, config, environment));
            this.container = builder.buildAsyncClient();
            this.syncContainer = builder.buildClient();
            this.batches = new BlobBatchClientBuilder(container).buildAsyncClient();
            checkContainer();
        } catch (RuntimeException e) {
            closeResources();
            throw e;
        }
    }

    private void checkContainer() {
        try {
            boolean exists = Boolean.TRUE.equals(container.exists().toFuture().get());
            if (!exists) {
                if (!config.createContainer()) {
                    throw new IllegalArgumentException("Azure container " + config.containerUrl() + " does not exist;"
                            + " create it, or add createContainer=true to the provider argument");
                }
                container.createIfNotExists().toFuture().get();
                log.info("created Azure container {}", config.containerUrl());
            }
        } catch (ExecutionException e) {
            throw new IllegalArgumentException(errors.message("reach", null, unwrap(e)), unwrap(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking Azure container " + config.containerUrl(), e);
        }
    }

    /** The parsed configuration. */
    public AzureProviderConfig config() {
        return config;
    }

    private BlobAsyncClient blob(String key) {
        return container.getBlobAsyncClient(config.blobName(key));
    }

    private ParallelTransferOptions transfers() {
        return new ParallelTransferOptions().setBlockSizeLong(config.blockSizeBytes())
                .setMaxSingleUploadSizeLong(config.blockSizeBytes()).setMaxConcurrency(config.maxConcurrency());
    }

    private AccessTier tier() {
        return config.tier() == null ? null : AccessTier.fromString(config.tier());
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, long length) {
        return upload(key, in, length, null).thenApply(ignored -> null);
    }

    /** Atomic: the upload (or the block list that commits it) carries {@code If-None-Match: *}. */
    @Override
    public CompletableFuture<Boolean> createObject(String key, InputStream in, long length) {
        return created(upload(key, in, length, ONLY_IF_ABSENT));
    }

    private CompletableFuture<Object> upload(String key, InputStream in, long length, BlobRequestConditions conditions) {
        return withValidKey(key, () -> {
            InputStream counted = new ProgressInputStream(new ExactLengthInputStream(in, length, key), () -> progressListener,
                    Direction.UPLOAD, key);
            // The stream is read where the upload subscribes: on our threads, never the caller's.
            Flux<ByteBuffer> body = FluxUtil.toFluxByteBuffer(counted, 64 * 1024)
                    .subscribeOn(streamScheduler);
            // A stream's blocks are buffered in memory (a file's are read from it): at most STREAM_BLOCKS_IN_FLIGHT.
            long block = Math.min(config.blockSizeBytes(), STREAM_BLOCK_SIZE);
            BlobParallelUploadOptions options = new BlobParallelUploadOptions(body).setTier(tier())
                    .setRequestConditions(conditions)
                    .setParallelTransferOptions(new ParallelTransferOptions().setBlockSizeLong(block)
                            .setMaxSingleUploadSizeLong(block)
                            .setMaxConcurrency(Math.min(config.maxConcurrency(), STREAM_BLOCKS_IN_FLIGHT)));
            return completion(Mono.defer(() -> blob(key).uploadWithResponse(options)).subscribeOn(streamScheduler)
                    .map(response -> (Object) response), "upload", key);
        });
    }

    @Override
    public CompletableFuture<Void> putFile(String key, Path source) {
        return uploadFile(key, source, null).thenApply(ignored -> null);
    }

    @Override
    public CompletableFuture<Boolean> createFile(String key, Path source) {
        return created(uploadFile(key, source, ONLY_IF_ABSENT));
    }

    @Override
    public boolean atomicCreate() {
        return true;
    }

    private CompletableFuture<Object> uploadFile(String key, Path source, BlobRequestConditions conditions) {
        return withValidKey(key, () -> {
            long length;
            try {
                length = Files.size(source);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(new BackupStorageException("cannot read " + source, e));
            }
            BlobUploadFromFileOptions options = new BlobUploadFromFileOptions(source.toString())
                    .setParallelTransferOptions(transfers()).setTier(tier()).setRequestConditions(conditions);
            return completion(Mono.defer(() -> blob(key).uploadFromFileWithResponse(options)).subscribeOn(streamScheduler)
                    .map(response -> (Object) response), "upload", key).thenApply(response -> {
                        report(progressListener, Direction.UPLOAD, key, length);
                        return response;
                    });
        });
    }

    /** True when a conditional upload stored its blob; false when Azure refused it because the blob exists. */
    private static CompletableFuture<Boolean> created(CompletableFuture<Object> upload) {
        return upload.handle((response, error) -> {
            if (error == null) {
                return true;
            }
            if (AzureErrors.isBlobTaken(error)) {
                return false;
            }
            throw error instanceof RuntimeException runtime ? runtime : new java.util.concurrent.CompletionException(error);
        });
    }

    @Override
    public CompletableFuture<InputStream> getObject(String key) {
        // The SDK's blob input stream reads a block at a time, pinned to the blob's ETag: memory stays at a
        // block whatever the blob's size, and a blob replaced while it is read fails the read.
        return withValidKey(key, () -> CompletableFuture.supplyAsync(() -> {
            try {
                InputStream in = syncContainer.getBlobClient(config.blobName(key))
                        .openInputStream(new BlobInputStreamOptions().setBlockSize((int) Math.min(config.blockSizeBytes(), 4 << 20)));
                return (InputStream) new ProgressInputStream(in, () -> progressListener, Direction.DOWNLOAD, key);
            } catch (RuntimeException e) {
                if (AzureErrors.isNotFound(e)) {
                    return null;
                }
                throw errors.describe("download", key, e);
            }
        }, streams));
    }

    @Override
    public CompletableFuture<Boolean> getFile(String key, Path target) {
        return withValidKey(key, () -> {
            Path partial = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".partial");
            Set<OpenOption> open = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
            BlobDownloadToFileOptions options = new BlobDownloadToFileOptions(partial.toString())
                    .setParallelTransferOptions(new com.azure.storage.common.ParallelTransferOptions()
                            .setBlockSizeLong(config.blockSizeBytes()).setMaxConcurrency(config.maxConcurrency()))
                    .setOpenOptions(open);
            return Mono.defer(() -> blob(key).downloadToFileWithResponse(options)).subscribeOn(streamScheduler).toFuture()
                    .handleAsync((response, error) -> {
                        if (error != null) {
                            deleteQuietly(partial);
                            if (AzureErrors.isNotFound(error)) {
                                return false;
                            }
                            throw errors.describe("download", key, error);
                        }
                        try {
                            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        } catch (IOException e) {
                            deleteQuietly(partial);
                            throw new BackupStorageException("cannot move downloaded '" + key + "' into " + target, e);
                        }
                        report(progressListener, Direction.DOWNLOAD, key, response.getValue().getBlobSize());
                        return true;
                    }, streams);
        });
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return objectSize(key).thenApply(size -> size >= 0);
    }

    /** One Get Blob Properties: the blob's size, or -1 on 404. */
    @Override
    public CompletableFuture<Long> objectSize(String key) {
        return withValidKey(key, () -> blob(key).getProperties().toFuture().handleAsync((properties, error) -> {
            if (error == null) {
                return properties.getBlobSize();
            }
            if (AzureErrors.isNotFound(error)) {
                return -1L;
            }
            throw errors.describe("check", key, error);
        }, streams));
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return withValidKey(key, () -> blob(key).deleteIfExists().toFuture().handleAsync((deleted, error) -> {
            if (error != null && !AzureErrors.isNotFound(error)) {
                throw errors.describe("delete", key, error);
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
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int start = 0; start < keys.size(); start += DELETE_BATCH) {
            List<String> batch = keys.subList(start, Math.min(keys.size(), start + DELETE_BATCH));
            List<String> urls = batch.stream().map(k -> blob(k).getBlobUrl()).toList();
            sent.add(batches.deleteBlobs(urls, DeleteSnapshotsOptionType.INCLUDE).then().toFuture()
                    .handleAsync((ignored, error) -> {
                        if (error != null && !AzureErrors.isNotFound(error)) {
                            throw errors.describe("delete", batch.get(0) + " and " + (batch.size() - 1) + " more", error);
                        }
                        return null;
                    }, streams));
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
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
        final String marker;
        try {
            if (directoryOnly) {
                ObjectKeys.requireDirectoryPrefix(prefix);
            } else {
                ObjectKeys.requireValidPrefix(prefix);
            }
            // The service's continuation marker, wrapped so that a token of another listing is refused.
            marker = PageTokens.decode(pageToken, prefix);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        String blobPrefix = config.blobName(prefix);
        ListBlobsOptions options = new ListBlobsOptions().setPrefix(blobPrefix).setMaxResultsPerPage(Math.min(pageSize, 5000));
        PagedFlux<BlobItem> items = directoryOnly ? container.listBlobsByHierarchy("/", options) : container.listBlobs(options);
        // byPage(null) is an empty listing, not the first page.
        Flux<PagedResponse<BlobItem>> pages = marker == null ? items.byPage() : items.byPage(marker);
        return pages.next().toFuture().handleAsync((page, error) -> {
            if (error != null) {
                throw errors.describe("list", prefix, error);
            }
            List<String> names = new ArrayList<>();
            String next = null;
            if (page != null) {
                int strip = directoryOnly ? blobPrefix.length() : config.prefix().length();
                for (BlobItem item : page.getValue()) {
                    String name = item.getName().substring(strip);
                    if (Boolean.TRUE.equals(item.isPrefix())) {
                        names.add(name);
                    } else if (!name.isEmpty() && !name.endsWith("/")) {
                        names.add(name);
                    }
                }
                String continuation = page.getContinuationToken();
                next = continuation == null || continuation.isEmpty() ? null : PageTokens.encode(prefix, continuation);
            }
            names.sort(null);
            return new KeysPage(names, next);
        }, streams);
    }

    @Override
    public void setProgressListener(ProgressListener listener) {
        this.progressListener = listener;
    }

    @Override
    public void close() {
        closeResources();
    }

    private void closeResources() {
        try {
            connections.disposeLater().block(CLOSE_TIMEOUT);
            loops.disposeLater(CLOSE_QUIET, CLOSE_TIMEOUT).block(CLOSE_TIMEOUT.plusSeconds(1));
        } catch (RuntimeException e) {
            log.warn("closing the Azure provider's connections for {} failed: {}", config.containerUrl(), e.toString());
        }
        streamScheduler.dispose();
        streams.shutdown();
        try {
            // Idle threads end at once; a callback still running gets the close timeout.
            streams.awaitTermination(CLOSE_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T> CompletableFuture<T> completion(Mono<T> call, String operation, String key) {
        return call.toFuture().handleAsync((value, error) -> {
            if (error != null) {
                throw errors.describe(operation, key, error);
            }
            return value;
        }, streams);
    }
}
