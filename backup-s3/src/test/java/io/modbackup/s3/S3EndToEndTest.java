package io.modbackup.s3;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The end-to-end backup and restore through S3Proxy, the S3 server every machine can start. */
class S3EndToEndTest extends EndToEndThroughS3 {
    private static S3ProxyServer server;
    private static Path serverDir;

    @BeforeAll
    static void start() throws Exception {
        serverDir = Files.createTempDirectory("s3proxy-e2e-");
        server = new S3ProxyServer(serverDir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        TestFiles.deleteRecursively(serverDir);
    }

    @Override
    protected String newBucketArgument(String prefix) {
        return server.newBucketArgument(prefix);
    }
}
