package io.modbackup.azure;

import com.azure.core.credential.AzureSasCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.util.HashMap;
import java.util.Map;

/**
 * The provider's credentials, from the environment only, in this order: {@value #CONNECTION_STRING} (its
 * account key or shared access signature; its account must be the URL's), {@value #SAS_TOKEN}, else the
 * SDK's default credential chain.
 */
final class AzureCredentials {
    static final String CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING";
    static final String SAS_TOKEN = "AZURE_STORAGE_SAS_TOKEN";

    private AzureCredentials() {
    }

    /** Sets the builder's credential from the environment; returns where it came from, for messages. */
    static String apply(BlobContainerClientBuilder builder, AzureProviderConfig config, Map<String, String> env) {
        String connectionString = env.get(CONNECTION_STRING);
        if (connectionString != null && !connectionString.isBlank()) {
            Map<String, String> parts = new HashMap<>();
            for (String part : connectionString.split(";")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    parts.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
                }
            }
            String account = parts.get("AccountName");
            if (account != null && !account.equals(config.account())) {
                throw new IllegalArgumentException(CONNECTION_STRING + " is for storage account '" + account
                        + "', but the provider's container " + config.containerUrl() + " is in account '" + config.account()
                        + "': set the connection string of that account");
            }
            if (parts.containsKey("AccountKey")) {
                builder.credential(new StorageSharedKeyCredential(config.account(), parts.get("AccountKey")));
                return "the account key in " + CONNECTION_STRING;
            }
            if (parts.containsKey("SharedAccessSignature")) {
                builder.credential(new AzureSasCredential(parts.get("SharedAccessSignature")));
                return "the shared access signature in " + CONNECTION_STRING;
            }
            throw new IllegalArgumentException(CONNECTION_STRING + " holds neither AccountKey nor SharedAccessSignature");
        }
        String sas = env.get(SAS_TOKEN);
        if (sas != null && !sas.isBlank()) {
            builder.credential(new AzureSasCredential(sas.strip().replaceFirst("^\\?", "")));
            return "the shared access signature in " + SAS_TOKEN;
        }
        builder.credential(new DefaultAzureCredentialBuilder().build());
        return "the Azure SDK's default credential chain";
    }
}
