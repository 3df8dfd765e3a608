package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The S3 provider refuses to open a store with {@code objectLock=} that would not be protected, against
 * Adobe's S3Mock (its own JVM, on every machine): a bucket without Object Lock, and a server that takes
 * the lock headers of a write and keeps no lock (S3Mock 4.12 does: it stores the object unlocked; it also
 * keeps no versions, lets a governance lock be shortened and deletes locked objects, which is why the
 * lock's behaviour is tested against moto, in {@link S3ObjectLockTest}).
 */
class S3MockObjectLockTest {
    @RegisterExtension
    static final S3ServerExtension S3 = S3ServerExtension.s3Mock();

    @Test
    void aServerThatIgnoresTheLockOfAWriteIsRefusedWhenTheProviderOpens() {
        String argument = S3.newBucketArgument("prod") + " objectLock=compliance retention=35d";
        String bucket = argument.substring(argument.lastIndexOf('/', argument.indexOf("/prod") - 1) + 1, argument.indexOf("/prod"));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new S3BackupProvider(argument));
        assertEquals("S3 bucket '" + bucket + "' at " + S3.endpoint() + " ignored the Object Lock of a probe write (it read"
                + " back null): the server does not lock objects, so this store would not be protected; use a server"
                + " that implements Object Lock, or drop objectLock=", refused.getMessage());
    }

    @Test
    void aBucketWithoutObjectLockIsRefusedWhenTheProviderOpens() {
        String plain = S3.newBucketArgument("prod");
        String bucket = plain.substring(plain.lastIndexOf('/', plain.indexOf("/prod") - 1) + 1, plain.indexOf("/prod"));
        new S3BackupProvider(plain).close(); // creates the bucket, without Object Lock
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> new S3BackupProvider(plain.replace(" createBucket=true", "") + " objectLock=governance retention=7d"));
        assertEquals("S3 bucket '" + bucket + "' at " + S3.endpoint() + " does not have Object Lock enabled, which"
                + " objectLock= needs: create the bucket with Object Lock enabled (or give createBucket=true for a new"
                + " one), or drop objectLock=", refused.getMessage());
    }
}
