package io.modbackup.s3;

import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The end-to-end backup and restore through moto's S3 server, where it is installed. */
@EnabledIf("io.modbackup.s3.MotoServer#available")
class MotoEndToEndTest extends EndToEndThroughS3 {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.moto();

    @Override
    protected String newBucketArgument(String prefix) {
        return S3.newBucketArgument(prefix);
    }
}
