package io.modbackup.s3;

import org.junit.jupiter.api.extension.RegisterExtension;

/** The end-to-end backup and restore through S3Proxy, the S3 server every machine can start. */
class S3EndToEndTest extends EndToEndThroughS3 {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Override
    protected String newBucketArgument(String prefix) {
        return S3.newBucketArgument(prefix);
    }
}
