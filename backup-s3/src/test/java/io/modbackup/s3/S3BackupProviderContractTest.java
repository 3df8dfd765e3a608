package io.modbackup.s3;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole provider contract, 256 MiB streamed object included, against a real S3 server. */
class S3BackupProviderContractTest extends BackupProviderContractTest {
    private static S3ProxyServer server;
    private static Path serverDir;

    @BeforeAll
    static void startServer() throws Exception {
        serverDir = Files.createTempDirectory("s3proxy-contract-");
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
        return new S3BackupProvider(server.newBucketArgument("backups/prod"));
    }
}
