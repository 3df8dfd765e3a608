package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ProviderLoader;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Failures a user can cause are precise errors; errors are never read as "absent". */
class S3BackupProviderErrorsTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Proxy();

    @Test
    void aMissingBucketIsAClearConfigErrorNamingIt() {
        String config = S3BackupProvider.class.getName() + " " + S3.proxyServer().endpoint() + "/no-such-bucket/prefix";
        BackupConfigException e = assertThrows(BackupConfigException.class, () -> new ProviderLoader().load(config));
        assertTrue(e.getMessage().contains("S3 bucket 'no-such-bucket' does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("createBucket=true"), e.getMessage());
    }

    @Test
    void aMissingBucketIsCreatedWhenAsked() throws Exception {
        try (S3BackupProvider provider = new S3BackupProvider(S3.proxyServer().endpoint() + "/created-on-demand createBucket=true")) {
            assertTrue(!provider.hasKey("x").get());
            assertTrue(S3.proxyServer().blobStore().containerExists("created-on-demand"));
        }
    }

    @Test
    void refusedCredentialsFailHasKeyInsteadOfReadingAsAbsent() throws Exception {
        try (S3BackupProvider provider = new S3BackupProvider(S3.newBucketArgument("p"))) {
            String bucket = provider.config().bucket();
            String previous = System.getProperty("aws.secretAccessKey");
            // The default chain reads system properties on every request: the next requests are refused.
            System.setProperty("aws.secretAccessKey", "wrong-secret");
            try {
                ExecutionException e = assertThrows(ExecutionException.class, () -> provider.hasKey("blobs/ab/abc").get());
                BackupStorageException cause = assertInstanceOf(BackupStorageException.class, e.getCause());
                assertTrue(cause.getMessage().contains("access denied to check s3://" + bucket + "/p/blobs/ab/abc"),
                        cause.getMessage());
                assertTrue(cause.getMessage().contains("s3:GetObject"), cause.getMessage());
                ExecutionException list = assertThrows(ExecutionException.class,
                        () -> provider.listKeysRecursive("", null).get());
                assertTrue(list.getCause().getMessage().contains("s3:ListBucket"), list.getCause().getMessage());
            } finally {
                if (previous == null) {
                    System.clearProperty("aws.secretAccessKey");
                } else {
                    System.setProperty("aws.secretAccessKey", previous);
                }
            }
            assertTrue(!provider.hasKey("blobs/ab/abc").get(), "with the right credentials the key is simply absent");
        }
    }

    @Test
    void anUnreachableEndpointFailsWithTheEndpointNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3BackupProvider("http://127.0.0.1:1/bucket-x"));
        assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
    }
}
