package io.modbackup.s3.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.seal.StoreFormat;
import io.modbackup.s3.MotoServer;
import io.modbackup.s3.S3BackupProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;

/**
 * {@link KmsMasterKey} against moto's KMS, where {@code moto_server} is installed: the data key is
 * wrapped by KMS and never stored in clear, a wrong key, context or ciphertext unwraps nothing, and a
 * store moved to another KMS key is restored with that key alone after the first is disabled.
 */
@EnabledIf("io.modbackup.s3.MotoServer#available")
class KmsMasterKeyTest {
    private static MotoServer moto;
    private static KmsAsyncClient admin;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        // The key under test takes its credentials from the SDK's default chain, as in production: the build's
        // test credentials (system properties), which moto accepts like any.
        moto = new MotoServer();
        admin = KmsAsyncClient.builder().endpointOverride(moto.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
    }

    @AfterAll
    static void stop() {
        admin.close();
        moto.close();
    }

    private static String newKey() {
        return admin.createKey(b -> b.description("modbackup test")).join().keyMetadata().arn();
    }

    private static KmsMasterKey master(String key) {
        return new KmsMasterKey(key + " region=us-east-1 endpoint=" + moto.endpoint());
    }

    @Test
    void theDataKeyRoundTripsThroughKmsAndAWrongKeyContextOrCiphertextUnwrapsNothing() {
        String arn = newKey();
        String other = newKey();
        admin.createAlias(b -> b.aliasName("alias/modbackup-test").targetKeyId(arn)).join();
        byte[] dataKey = new byte[32];
        Arrays.fill(dataKey, (byte) 7);
        byte[] context = "modbackup data key v1".getBytes(StandardCharsets.UTF_8);
        try (KmsMasterKey key = master(arn); KmsMasterKey byAlias = master("alias/modbackup-test");
             KmsMasterKey wrong = master(other)) {
            assertEquals(arn, key.keyId());
            assertEquals(arn, byAlias.keyId(), "an alias names the key's ARN");
            byte[] wrapped = key.wrap(dataKey, context);
            assertFalse(contains(wrapped, dataKey), "the wrapped key does not hold the data key in clear");
            assertArrayEquals(dataKey, key.unwrap(wrapped, context).orElseThrow());
            assertArrayEquals(dataKey, byAlias.unwrap(wrapped, context).orElseThrow());
            assertEquals(Optional.empty(), key.unwrap(wrapped, "another purpose".getBytes(StandardCharsets.UTF_8)));
            assertEquals(Optional.empty(), wrong.unwrap(wrapped, context));
            byte[] altered = wrapped.clone();
            altered[altered.length - 1] ^= 1;
            assertEquals(Optional.empty(), key.unwrap(altered, context));
        }
    }

    @Test
    void aKeyKmsDoesNotHaveIsRefusedInOneLineNamingIt() {
        java.io.UncheckedIOException refused = assertThrows(java.io.UncheckedIOException.class,
                () -> master("alias/no-such-key"));
        assertTrue(refused.getMessage().startsWith("cannot describe KMS key alias/no-such-key: KMS answered 400 NotFoundException"),
                refused.getMessage());
    }

    @Test
    void aStoreMovedToAnotherKmsKeyIsRestoredWithThatKeyAfterTheFirstIsDisabled() throws Exception {
        String first = newKey();
        String second = newKey();
        String bucket = moto.newBucketArgument("kms");
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir.resolve("cluster"));
             KmsMasterKey firstKey = master(first); KmsMasterKey secondKey = master(second)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(2, 1, 1));
            new Workload(cluster, 3, 500, 50).appendBatch(SampleModules.MODULE_A, "*events", 1000);
            assertTrue(cluster.awaitSettled(SampleModules.MODULE_A, 60_000));
            ModuleManifest backup;
            try (S3BackupProvider s3 = new S3BackupProvider(bucket);
                 BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withMasterKey(firstKey))) {
                backup = engine.backup(SampleModules.MODULE_A);
                StoreFormat rotated = engine.rotateKey(secondKey);
                assertEquals(second, rotated.encryption().keyId());
                assertEquals(first, rotated.encryption().previousKeyId());
            }
            admin.disableKey(b -> b.keyId(first.substring(first.lastIndexOf('/') + 1))).join();
            try (S3BackupProvider s3 = new S3BackupProvider(bucket);
                 BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withMasterKey(secondKey))) {
                assertTrue(engine.verify(backup.backupId(), true).ok(), "deep verify with the new KMS key");
                assertEquals(1, engine.restore(backup.backupId()).marker().epoch());
            }
            try (S3BackupProvider s3 = new S3BackupProvider(bucket);
                 BackupEngine engine = new BackupEngine(cluster, s3, BackupOptions.defaults().withMasterKey(firstKey))) {
                BackupException refused = assertThrows(BackupException.class, () -> engine.verify(backup.backupId(), false));
                assertTrue(refused.getMessage().contains(second), "the refusal names the store's key: " + refused.getMessage());
            }
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
