package io.modbackup.azure;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole provider contract against Azurite's Blob service, a new container per case. */
class AzureContractTest extends BackupProviderContractTest {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    @Override
    protected BackupProvider createProvider() {
        return AZURITE.server().newProvider("backups/prod");
    }

    /** Azurite keeps blobs on disk; 64 MiB still streams far past the client's heap share. */
    @Override
    protected long largeObjectSize() {
        return 64L * 1024 * 1024;
    }
}
