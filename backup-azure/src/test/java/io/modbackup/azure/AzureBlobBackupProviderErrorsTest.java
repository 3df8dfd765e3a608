package io.modbackup.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ProviderLoader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Failures a user can cause are one precise line naming the container or blob; errors never read as "absent". */
class AzureBlobBackupProviderErrorsTest {
    @RegisterExtension
    static final AzuriteExtension AZURITE = new AzuriteExtension();

    @TempDir
    Path dir;

    @Test
    void aMissingContainerIsAClearConfigErrorNamingIt() {
        String url = AZURITE.server().accountUrl() + "/no-such-container/prefix";
        // Through the loader, as a cluster's config loads it; credentials from this JVM's environment (the pom sets them).
        BackupConfigException e = assertThrows(BackupConfigException.class,
                () -> new ProviderLoader().load(AzureBlobBackupProvider.class.getName() + " " + url));
        assertTrue(e.getMessage().contains("Azure container " + AZURITE.server().accountUrl() + "/no-such-container does not"
                + " exist"), e.getMessage());
        assertTrue(e.getMessage().contains("createContainer=true"), e.getMessage());
    }

    @Test
    void wrongAccountKeysAreRefusedAtStartNamingTheContainerAndWhereTheKeyCameFrom() throws Exception {
        try (AzureBlobBackupProvider good = AZURITE.server().newProvider("p")) {
            String container = good.config().containerUrl();
            String wrongKey = java.util.Base64.getEncoder().encodeToString(new byte[64]);
            AzureProviderConfig config = AzureProviderConfig.parse(container + "/p");
            IllegalArgumentException opening = assertThrows(IllegalArgumentException.class, () -> new AzureBlobBackupProvider(
                    config, Map.of(AzureCredentials.CONNECTION_STRING, "AccountName=devstoreaccount1;AccountKey=" + wrongKey)));
            assertTrue(opening.getMessage().startsWith("access denied to reach " + container + "/p/ ("), opening.getMessage());
            assertTrue(opening.getMessage().contains("the account key in AZURE_STORAGE_CONNECTION_STRING"), opening.getMessage());
            assertFalse(good.hasKey("blobs/ab/abc").get(), "with the right credentials the key is simply absent");
        }
    }

    @Test
    void aConnectionStringOfAnotherAccountIsRefusedBeforeAnyRequest() {
        AzureProviderConfig config = AzureProviderConfig.parse(AZURITE.server().accountUrl() + "/c-1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AzureBlobBackupProvider(config,
                Map.of(AzureCredentials.CONNECTION_STRING, "AccountName=otheraccount;AccountKey=AAAA")));
        assertEquals("AZURE_STORAGE_CONNECTION_STRING is for storage account 'otheraccount', but the provider's container "
                + AZURITE.server().accountUrl() + "/c-1 is in account 'devstoreaccount1': set the connection string of"
                + " that account", e.getMessage());
    }

    @Test
    void aServerThatStopsMidUploadFailsThePutNamingTheBlobAndStoresNothing() throws Exception {
        Path big = dir.resolve("big");
        byte[] block = new byte[1 << 20];
        new java.util.Random(3).nextBytes(block);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 48; i++) {
                out.write(block);
            }
        }
        AzuriteServer server = new AzuriteServer(dir.resolve("azurite"));
        AzureBlobBackupProvider provider = null;
        try {
            provider = new AzureBlobBackupProvider(AzureProviderConfig.parse(server.newContainerArgument("stops")
                    + " blockSize=1MiB maxConcurrency=1 maxTries=2"), AzuriteServer.environment());
            provider.putObject("before", new ByteArrayInputStream(new byte[] {1}), 1).get(30, TimeUnit.SECONDS);
            java.util.concurrent.CompletableFuture<Void> upload = provider.putFile("blobs/big", big);
            // Once the first blocks landed, the server goes away under the upload.
            awaitStagedBlocks(server.directory());
            server.close();
            ExecutionException e = assertThrows(ExecutionException.class, () -> upload.get(2, TimeUnit.MINUTES));
            BackupStorageException cause = assertInstanceOf(BackupStorageException.class, e.getCause());
            assertTrue(cause.getMessage().startsWith("cannot upload " + provider.config().containerUrl() + "/stops/blobs/big: "),
                    cause.getMessage());
            assertEquals(1, cause.getMessage().lines().count(), cause.getMessage());
        } finally {
            if (provider != null) {
                provider.close();
            }
            server.close();
        }
        // Restarted on the same files, the server holds the blob written before and not the interrupted one.
        try (AzuriteServer again = new AzuriteServer(dir.resolve("azurite"));
             AzureBlobBackupProvider provider2 = new AzureBlobBackupProvider(AzureProviderConfig.parse(
                     again.accountUrl() + "/azurite-1/stops"), AzuriteServer.environment())) {
            assertTrue(provider2.hasKey("before").get());
            assertFalse(provider2.hasKey("blobs/big").get(), "an upload cut off commits no blob");
        }
    }

    /** Waits until Azurite wrote a block's bytes to its extent files (at most a minute). */
    private static void awaitStagedBlocks(Path azurite) throws Exception {
        long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (extentBytes(azurite) < (2 << 20)) {
            assertTrue(System.nanoTime() < until, "no block reached Azurite within a minute");
            Thread.sleep(10);
        }
    }

    private static long extentBytes(Path azurite) throws java.io.IOException {
        try (var files = Files.walk(azurite)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().endsWith(".json"))
                    .mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
