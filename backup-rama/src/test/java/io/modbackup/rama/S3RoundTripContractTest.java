package io.modbackup.rama;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.s3.S3ServerExtension;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Our whole provider contract through both directions on a real S3 server: our S3 provider in its
 * Rama form ({@link S3ProviderForRama}, as a Rama cluster loads it), as ours again.
 */
class S3RoundTripContractTest extends BackupProviderContractTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Override
    protected BackupProvider createProvider() {
        return new RamaProviderForModbackup(new S3ProviderForRama(S3.newBucketArgument("rama/prod")));
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
