package io.modbackup.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AzureProviderConfigTest {
    @Test
    void anAccountUrlWithContainerPrefixAndOptions() {
        AzureProviderConfig c = AzureProviderConfig.parse("https://myaccount.blob.core.windows.net/backups/clusters/prod"
                + " tier=cool blockSize=16MiB maxConcurrency=4");
        assertEquals(1, AzureProviderConfig.parse("https://myaccount.blob.core.windows.net/backups maxTries=1").maxTries());
        assertEquals(new AzureProviderConfig(URI.create("https://myaccount.blob.core.windows.net"), "myaccount", "backups",
                "clusters/prod/", 16L << 20, 4, "Cool", false, 4), c);
        assertEquals("clusters/prod/blobs/ab/abc", c.blobName("blobs/ab/abc"));
        assertEquals("https://myaccount.blob.core.windows.net/backups", c.containerUrl());
    }

    @Test
    void anEmulatorUrlTakesTheAccountFromThePath() {
        AzureProviderConfig c = AzureProviderConfig.parse("http://127.0.0.1:10000/devstoreaccount1/backups createContainer=true");
        assertEquals(new AzureProviderConfig(URI.create("http://127.0.0.1:10000/devstoreaccount1"), "devstoreaccount1",
                "backups", "", AzureProviderConfig.DEFAULT_BLOCK_SIZE, AzureProviderConfig.DEFAULT_MAX_CONCURRENCY, null, true,
                AzureProviderConfig.DEFAULT_MAX_TRIES), c);
    }

    @Test
    void malformedArgumentsAreRefusedInOneLineSayingWhatToWrite() {
        assertRefused("", "AzureBlobBackupProvider needs a container URL, e.g. \"https://myaccount.blob.core.windows.net/backups/prod\"");
        assertRefused("myaccount/backups", "Azure location 'myaccount/backups' must be a container URL:"
                + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]");
        assertRefused("https://myaccount.blob.core.windows.net/", "Azure location 'https://myaccount.blob.core.windows.net/'"
                + " names no container: https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]");
        assertRefused("https://myaccount.blob.core.windows.net/Backups", "Azure location"
                + " 'https://myaccount.blob.core.windows.net/Backups': 'Backups' is not a valid container name (3-63 lower-case"
                + " letters, digits and single hyphens)");
        assertRefused("https://myaccount.blob.core.windows.net/b?sv=2024&sig=secret", "Azure location"
                + " 'https://myaccount.blob.core.windows.net/b?sv=2024&sig=secret' carries a query (a SAS?): credentials never go"
                + " in the provider argument; set AZURE_STORAGE_SAS_TOKEN instead");
        assertRefused("https://a.blob.core.windows.net/backups", "Azure location 'https://a.blob.core.windows.net/backups': 'a'"
                + " is not a valid storage account name (3-24 lower-case letters and digits)");
        assertRefused("https://myaccount.blob.core.windows.net/backups tier=Archive", "Azure option tier=Archive is refused:"
                + " archived blobs must be rehydrated for hours before a restore can read them; use Hot, Cool or Cold");
        assertRefused("https://myaccount.blob.core.windows.net/backups blockSize=1KiB", "Azure option blockSize must be"
                + " between 64KiB and 4000MiB, got 1024 bytes");
        assertRefused("https://myaccount.blob.core.windows.net/backups color=blue", "unknown Azure option(s) [color]; options"
                + " are blockSize, maxConcurrency, tier, createContainer, maxTries, insecureHttp");
        assertRefused("http://storage.example.com/acct/backups", "Azure location 'http://storage.example.com/acct/backups' is"
                + " plain http to storage.example.com, which is not this machine: use https, or add insecureHttp=true to accept it");
    }

    private static void assertRefused(String argument, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> AzureProviderConfig.parse(argument)).getMessage());
    }
}
