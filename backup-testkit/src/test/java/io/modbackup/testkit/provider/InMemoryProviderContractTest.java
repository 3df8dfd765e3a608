package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;

class InMemoryProviderContractTest extends BackupProviderContractTest {
    @Override
    protected BackupProvider createProvider() {
        return new InMemoryProvider();
    }

    /** Objects live on the heap here, so the streamed object must fit in it. */
    @Override
    protected long largeObjectSize() {
        return 16L * 1024 * 1024;
    }
}
