package io.modbackup.s3;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An S3-speaking server for the tests of one class, started before them and stopped (its files
 * removed) after them: {@code @RegisterExtension static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();}.
 * A class using {@link #moto()} also needs {@code @EnabledIf("io.modbackup.s3.MotoServer#available")}.
 */
public final class S3ServerExtension implements BeforeAllCallback, AfterAllCallback {
    private enum Kind { S3PROXY, MOTO, S3MOCK }

    private final Kind kind;
    private Path dir;
    private S3ProxyServer proxy;
    private MotoServer motoServer;
    private S3MockServer s3Mock;

    private S3ServerExtension(Kind kind) {
        this.kind = kind;
    }

    /** S3Proxy in the test JVM, objects on disk: every machine has it. */
    public static S3ServerExtension s3Proxy() {
        return new S3ServerExtension(Kind.S3PROXY);
    }

    /** moto's server as a child process, where {@code moto_server} is on the PATH. */
    public static S3ServerExtension moto() {
        return new S3ServerExtension(Kind.MOTO);
    }

    /** Adobe's S3Mock as its own JVM, from Maven Central: every machine has it. */
    public static S3ServerExtension s3Mock() {
        return new S3ServerExtension(Kind.S3MOCK);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (kind == Kind.MOTO) {
            motoServer = new MotoServer();
        } else if (kind == Kind.S3MOCK) {
            s3Mock = new S3MockServer();
        } else {
            dir = Files.createTempDirectory("s3proxy-" + context.getRequiredTestClass().getSimpleName() + "-");
            proxy = new S3ProxyServer(dir);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (motoServer != null) {
            motoServer.close();
        }
        if (s3Mock != null) {
            s3Mock.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (dir != null) {
            TestFiles.deleteRecursively(dir);
        }
    }

    /** A provider argument for a new, empty bucket on the running server. */
    public String newBucketArgument(String prefix) {
        return switch (kind) {
            case MOTO -> motoServer.newBucketArgument(prefix);
            case S3MOCK -> s3Mock.newBucketArgument(prefix);
            case S3PROXY -> proxy.newBucketArgument(prefix);
        };
    }

    /** The running server's endpoint. */
    public java.net.URI endpoint() {
        return switch (kind) {
            case MOTO -> motoServer.endpoint();
            case S3MOCK -> s3Mock.endpoint();
            case S3PROXY -> proxy.endpoint();
        };
    }

    /** The running S3Mock, for tests that create buckets of their own (with Object Lock). */
    public S3MockServer s3MockServer() {
        if (s3Mock == null) {
            throw new IllegalStateException("not an S3Mock extension, or not started");
        }
        return s3Mock;
    }

    /** The running S3Proxy, for tests that look into its blob store. */
    public S3ProxyServer proxyServer() {
        if (proxy == null) {
            throw new IllegalStateException("not an S3Proxy extension, or not started");
        }
        return proxy;
    }
}
