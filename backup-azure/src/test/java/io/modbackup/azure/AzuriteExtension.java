package io.modbackup.azure;

import io.modbackup.api.fs.FileTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Azurite for the tests of one class, started before them and stopped (its files removed) after them:
 * {@code @RegisterExtension static final AzuriteExtension AZURITE = new AzuriteExtension();}.
 */
public final class AzuriteExtension implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private AzuriteServer server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("azurite-" + context.getRequiredTestClass().getSimpleName() + "-");
        server = new AzuriteServer(dir.resolve("blobs"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (server != null) {
            server.close();
        }
        if (dir != null) {
            FileTrees.deleteTree(dir);
        }
    }

    /** The running server. */
    public AzuriteServer server() {
        return server;
    }
}
