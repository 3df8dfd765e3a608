package io.modbackup.s3;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-speaking server (S3Proxy over jclouds' filesystem blob store) on a free loopback port,
 * started by the tests; objects live on disk, so large uploads do not need heap. Credentials are the
 * ones the surefire configuration hands to the SDK's default chain.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "modbackup-test";
    public static final String SECRET_KEY = "modbackup-test-secret";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final AtomicInteger buckets = new AtomicInteger();

    public S3ProxyServer(Path baseDir) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDir.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(properties)
                .build(BlobStoreContext.class);
        proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
    }

    /** The server's endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    /** A provider argument for a new, empty bucket. */
    public String newBucketArgument(String prefix) {
        return endpoint() + "/bucket-" + buckets.incrementAndGet() + (prefix.isEmpty() ? "" : "/" + prefix)
                + " createBucket=true";
    }

    BlobStore blobStore() {
        return context.getBlobStore();
    }

    @Override
    public void close() throws java.io.IOException {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new java.io.IOException("cannot stop S3Proxy", e);
        } finally {
            context.close();
        }
    }
}
