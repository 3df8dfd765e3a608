package io.modbackup.rama;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.s3.S3ProxyServer;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Our whole provider contract through both directions on a real S3 server: our S3 provider in its
 * Rama form ({@link S3ProviderForRama}, as a Rama cluster loads it), as ours again.
 */
class S3RoundTripContractTest extends BackupProviderContractTest {
    private static S3ProxyServer server;
    private static Path serverDir;

    @BeforeAll
    static void startServer() throws Exception {
        serverDir = Files.createTempDirectory("s3proxy-rama-");
        server = new S3ProxyServer(serverDir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
        io.modbackup.s3.TestFiles.deleteRecursively(serverDir);
    }

    @Override
    protected BackupProvider createProvider() {
        return new RamaProviderForModbackup(new S3ProviderForRama(server.newBucketArgument("rama/prod")));
    }

    /**
     * 64 MiB: the adapters' streaming is proven at 256 MiB under a 192 MiB heap by the local round trip,
     * and the S3 provider's by its own suite; a quarter of the size here saves a minute of CI.
     */
    @Override
    protected long largeObjectSize() {
        return 64L * 1024 * 1024;
    }
}
