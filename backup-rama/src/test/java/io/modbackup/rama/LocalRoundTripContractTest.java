package io.modbackup.rama;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Our whole provider contract through both directions: local provider, as Rama's, as ours again. */
class LocalRoundTripContractTest extends BackupProviderContractTest {
    @TempDir
    Path store;

    @Override
    protected BackupProvider createProvider() {
        return new RamaProviderForModbackup(new ModbackupProviderForRama(new LocalDirectoryProvider(store.toString())));
    }
}
