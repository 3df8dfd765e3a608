package io.modbackup.rama;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;

/** Our whole provider contract, through the bridge, over a provider with Rama's own semantics. */
class NativeRamaProviderContractTest extends BackupProviderContractTest {
    @Override
    protected BackupProvider createProvider() {
        return new RamaProviderForModbackup(new InMemoryRamaProvider());
    }

    @Override
    protected long largeObjectSize() {
        return 16L * 1024 * 1024;
    }
}
