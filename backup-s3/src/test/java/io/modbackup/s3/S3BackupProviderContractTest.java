package io.modbackup.s3;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole provider contract, 256 MiB streamed object included, against a real S3 server (S3Proxy). */
class S3BackupProviderContractTest extends BackupProviderContractTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Override
    protected BackupProvider createProvider() {
        return new S3BackupProvider(S3.newBucketArgument("backups/prod"));
    }

    /**
     * S3Proxy honours {@code If-None-Match: *} by a check before its write (its filesystem blob store has
     * no conditional put): racing creates can all win there, as this suite showed (5 of 8 racers). The
     * provider's atomicity is that of S3 itself, proven against S3Mock ({@link S3MockContractTest}) and moto.
     */
    @Override
    public boolean expectAtomicCreate() {
        return false;
    }
}
