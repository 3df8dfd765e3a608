package io.modbackup.testkit.provider;

import io.modbackup.api.provider.BackupProvider;

/** With no rules the wrapper is transparent: it passes the whole contract. */
class FaultInjectingProviderContractTest extends BackupProviderContractTest {
    @Override
    protected BackupProvider createProvider() {
        return new FaultInjectingProvider(new InMemoryProvider(), 1);
    }

    @Override
    protected long largeObjectSize() {
        return 16L * 1024 * 1024;
    }
}
