package io.modbackup.azure;

import static io.modbackup.api.provider.ProviderCalls.unwrap;

import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import io.modbackup.api.provider.BackupStorageException;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The provider's failures as one line each, naming the container, the blob and what to do. */
final class AzureErrors {
    private final AzureProviderConfig config;
    /** Where the credential came from, named in refusals. */
    private final String credentialSource;

    AzureErrors(AzureProviderConfig config, String credentialSource) {
        this.config = config;
        this.credentialSource = credentialSource;
    }

    /** Whether the failure is a missing blob (a missing container is not: it is an error). */
    static boolean isNotFound(Throwable error) {
        return unwrap(error) instanceof BlobStorageException e && e.getStatusCode() == 404
                && !"ContainerNotFound".equals(errorCode(e));
    }

    /**
     * Whether the failure is a conditional upload ({@code If-None-Match: *}) refused because the blob exists,
     * looking through the provider's own {@link BackupStorageException} wrapping.
     */
    static boolean isBlobTaken(Throwable error) {
        Throwable cause = unwrap(error);
        while (cause instanceof BackupStorageException && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause instanceof BlobStorageException azure && (azure.getStatusCode() == 409 || azure.getStatusCode() == 412)
                && (BlobErrorCode.BLOB_ALREADY_EXISTS.equals(azure.getErrorCode())
                || BlobErrorCode.CONDITION_NOT_MET.equals(azure.getErrorCode()));
    }

    /** The failure of {@code operation} on {@code key} ({@code null}: the prefix) as the provider reports it. */
    BackupStorageException describe(String operation, String key, Throwable error) {
        Throwable cause = unwrap(error);
        return new BackupStorageException(message(operation, key, cause), cause);
    }

    /** A message naming the container, blob, status and, for a refusal, the role that is likely missing. */
    String message(String operation, String key, Throwable cause) {
        String target = config.containerUrl() + "/" + (key == null ? config.prefix() : config.blobName(key));
        if (cause instanceof BlobStorageException e) {
            String code = errorCode(e);
            if (e.getStatusCode() == 403) {
                return "access denied to " + operation + " " + target + " (" + code + ") with " + credentialSource
                        + ": the identity likely lacks the role " + role(operation) + " on container " + config.container()
                        + ", or the key or signature is wrong or expired";
            }
            if ("ContainerNotFound".equals(code)) {
                return "Azure container " + config.containerUrl() + " does not exist (while trying to " + operation + " "
                        + target + ")";
            }
            return "cannot " + operation + " " + target + ": Azure answered " + e.getStatusCode() + " " + code;
        }
        if (cause instanceof UncheckedIOException || cause instanceof IOException) {
            return "cannot " + operation + " " + target + ": " + cause.getMessage();
        }
        return "cannot " + operation + " " + target + ": " + cause;
    }

    private static String role(String operation) {
        return switch (operation) {
            case "upload", "delete" -> "Storage Blob Data Contributor";
            default -> "Storage Blob Data Reader (Contributor to write)";
        };
    }

    private static String errorCode(BlobStorageException e) {
        return e.getErrorCode() == null ? "" : e.getErrorCode().toString();
    }
}
