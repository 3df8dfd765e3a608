package io.modbackup.s3.kms;

import io.modbackup.api.crypto.MasterKeyProvider;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsAsyncClientBuilder;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The master key of an encrypted store held by AWS KMS: {@link #wrap} is KMS's Encrypt of the data key
 * under the configured KMS key, {@link #unwrap} its Decrypt, both with the engine's context as the
 * encryption context (so a wrapped key cannot be unwrapped for another purpose). Only KMS's ciphertext is
 * stored; whoever may call Decrypt on the key can open the store, and nobody else, the store's own
 * administrators included.
 *
 * <p>Config: {@code backup.encryption.key: "io.modbackup.s3.kms.KmsMasterKey <key> [region=R]
 * [endpoint=URL]"}, where {@code <key>} is a key ARN, key ID, alias ({@code alias/name}) or alias ARN.
 * Credentials come from the AWS SDK's default chain (environment, profile, instance role). The key ID
 * recorded in the store is the key's ARN as KMS reports it, so an alias and the ARN of one key name the
 * same key. KMS's own automatic rotation of key material needs nothing here; moving a store to another
 * KMS key is the engine's key rotation ({@code --action rotateKey}).
 *
 * <p>Thread-safe and immutable. Each call is one KMS request and blocks up to 30 s.
 */
public final class KmsMasterKey implements MasterKeyProvider, AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String CONTEXT_KEY = "modbackup";

    private final KmsAsyncClient kms;
    private final String keyArn;

    /** From the config argument: the key, then optional {@code region=} and {@code endpoint=}. */
    public KmsMasterKey(String argument) {
        String[] words = argument == null ? new String[0] : argument.strip().split("\\s+");
        if (words.length == 0 || words[0].isEmpty()) {
            throw new IllegalArgumentException("KmsMasterKey needs a KMS key: write \"io.modbackup.s3.kms.KmsMasterKey"
                    + " arn:aws:kms:REGION:ACCOUNT:key/ID [region=REGION]\"");
        }
        String region = null;
        URI endpoint = null;
        for (int i = 1; i < words.length; i++) {
            String word = words[i];
            if (word.startsWith("region=")) {
                region = word.substring("region=".length());
            } else if (word.startsWith("endpoint=")) {
                endpoint = URI.create(word.substring("endpoint=".length()));
            } else {
                throw new IllegalArgumentException("unknown KmsMasterKey option '" + word + "': it takes region=... and endpoint=...");
            }
        }
        if (region == null && words[0].startsWith("arn:aws")) {
            String[] arn = words[0].split(":");
            region = arn.length > 3 ? arn[3] : null;
        }
        KmsAsyncClientBuilder builder = KmsAsyncClient.builder().httpClientBuilder(NettyNioAsyncHttpClient.builder());
        if (region != null) {
            builder.region(Region.of(region));
        }
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        try {
            this.kms = builder.build();
        } catch (SdkClientException e) {
            throw new IllegalArgumentException("cannot set up the KMS client for " + words[0] + ": " + e.getMessage()
                    + " (give region=... after the key)", e);
        }
        try {
            this.keyArn = call(kms.describeKey(b -> b.keyId(words[0])), "describe KMS key " + words[0]).keyMetadata().arn();
        } catch (RuntimeException e) {
            kms.close();
            throw e;
        }
    }

    @Override
    public String keyId() {
        return keyArn;
    }

    @Override
    public byte[] wrap(byte[] dataKey, byte[] context) {
        return call(kms.encrypt(b -> b.keyId(keyArn).plaintext(SdkBytes.fromByteArray(dataKey))
                .encryptionContext(context(context))), "encrypt with KMS key " + keyArn).ciphertextBlob().asByteArray();
    }

    @Override
    public Optional<byte[]> unwrap(byte[] wrapped, byte[] context) {
        try {
            // KMS finds the key in the ciphertext; one another key wrapped is not this key's to open.
            DecryptResponse response = call(kms.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(wrapped))
                    .encryptionContext(context(context))), "decrypt with KMS key " + keyArn);
            return keyArn.equals(response.keyId()) ? Optional.of(response.plaintext().asByteArray()) : Optional.empty();
        } catch (WrongKey e) {
            return Optional.empty();
        }
    }

    private static Map<String, String> context(byte[] context) {
        return Map.of(CONTEXT_KEY, Base64.getEncoder().encodeToString(context));
    }

    /** Waits for a KMS call: a wrong key or altered bytes as {@link WrongKey}, the rest as one line naming the key. */
    private static <T> T call(java.util.concurrent.CompletableFuture<T> request, String what) {
        try {
            return request.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof InvalidCiphertextException || cause instanceof IncorrectKeyException) {
                throw new WrongKey();
            }
            if (cause instanceof KmsException kmsError) {
                String code = kmsError.awsErrorDetails() == null ? "" : kmsError.awsErrorDetails().errorCode();
                String hint = kmsError.statusCode() == 400 && "AccessDeniedException".equals(code)
                        || kmsError.statusCode() == 403 ? " (the credentials likely lack kms:Encrypt, kms:Decrypt or"
                        + " kms:DescribeKey on the key)" : "";
                throw failure("cannot " + what + ": KMS answered " + kmsError.statusCode() + " " + code + " "
                        + (kmsError.awsErrorDetails() == null ? kmsError.getMessage() : kmsError.awsErrorDetails().errorMessage())
                        + hint, cause);
            }
            throw failure("cannot " + what + ": " + cause.getMessage(), cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw failure("cannot " + what + ": KMS did not answer within " + TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while waiting to " + what, e);
        }
    }

    private static UncheckedIOException failure(String message, Throwable cause) {
        return new UncheckedIOException(message, new IOException(message, cause));
    }

    /** KMS refused the ciphertext: another key wrapped it, or it or its context was altered. */
    private static final class WrongKey extends RuntimeException {
        WrongKey() {
            super(null, null, false, false);
        }
    }

    /** Releases the KMS client's connections. */
    @Override
    public void close() {
        kms.close();
    }
}
