package io.modbackup.s3;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract suite against moto's S3 server, where {@code moto_server} is installed (skipped
 * otherwise). moto answers {@code Expect: 100-continue} with two {@code 100} lines, which the SDK's
 * Netty client took for the final answer; the provider sends no {@code Expect} header to an
 * S3-compatible endpoint unless told to ({@code expectContinue=true}).
 */
@EnabledIf("io.modbackup.s3.MotoServer#available")
class MotoContractTest extends BackupProviderContractTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.moto();

    @Override
    protected BackupProvider createProvider() {
        return new S3BackupProvider(S3.newBucketArgument("backups/prod"));
    }

    /**
     * moto honours {@code If-None-Match: *} by a check before its write, and its server is threaded: two of
     * eight racers both created one key in this suite. The provider's atomicity is S3's, proven against
     * S3Mock ({@link S3MockContractTest}).
     */
    @Override
    public boolean expectAtomicCreate() {
        return false;
    }

    /** moto keeps objects in its memory: 64 MiB still streams far past the client's heap share. */
    @Override
    protected long largeObjectSize() {
        return 64L * 1024 * 1024;
    }
}
