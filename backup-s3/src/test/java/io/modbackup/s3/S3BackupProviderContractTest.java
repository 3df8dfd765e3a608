package io.modbackup.s3;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole provider contract, 256 MiB streamed object included, against a real S3 server. */
class S3BackupProviderContractTest extends BackupProviderContractTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Override
    protected BackupProvider createProvider() {
        return new S3BackupProvider(S3.newBucketArgument("backups/prod"));
    }
}
