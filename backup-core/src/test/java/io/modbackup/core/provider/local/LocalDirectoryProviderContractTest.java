package io.modbackup.core.provider.local;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The local-directory provider passes the whole contract, including the 256 MiB streamed object. */
class LocalDirectoryProviderContractTest extends BackupProviderContractTest {
    @TempDir
    Path storeRoot;

    @Override
    protected BackupProvider createProvider() {
        return new LocalDirectoryProvider(storeRoot.toString());
    }
}
