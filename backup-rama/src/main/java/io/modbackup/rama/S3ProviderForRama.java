package io.modbackup.rama;

import io.modbackup.s3.S3BackupProvider;

/**
 * Our S3 provider (key prefix, SSE-KMS, storage class, multipart, bounded concurrency, precise
 * errors) for a Rama cluster, taking our S3 argument as it is. In {@code rama.yaml}:
 *
 * <pre>
 * backup.provider: "io.modbackup.rama.S3ProviderForRama s3://my-bucket/rama region=eu-west-1 sse=aws:kms"
 * </pre>
 *
 * Needs our shaded S3 jar ({@code backup-s3-…-all.jar}) in the same {@code lib/}.
 */
public class S3ProviderForRama extends ModbackupProviderForRama {
    /** @param s3Argument our S3 provider's argument, see {@code io.modbackup.s3.S3ProviderConfig} */
    public S3ProviderForRama(String s3Argument) {
        super(new S3BackupProvider(s3Argument));
    }
}
