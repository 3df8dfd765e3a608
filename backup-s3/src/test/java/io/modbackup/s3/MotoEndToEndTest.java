package io.modbackup.s3;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIf;

/** The end-to-end backup and restore through moto's S3 server, where it is installed. */
@EnabledIf("io.modbackup.s3.MotoServer#available")
class MotoEndToEndTest extends EndToEndThroughS3 {
    private static MotoServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new MotoServer();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected String newBucketArgument(String prefix) {
        return server.newBucketArgument(prefix);
    }
}
