package io.modbackup.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S3ProviderConfigTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "my-bucket|my-bucket|",
            "my-bucket/backups/prod|my-bucket|backups/prod/",
            "s3://my-bucket/backups/prod/|my-bucket|backups/prod/",
            "s3://my-bucket|my-bucket|"})
    void locationFormsGiveBucketAndPrefix(String argument, String bucket, String prefix) {
        S3ProviderConfig config = S3ProviderConfig.parse(argument);
        assertEquals(bucket, config.bucket());
        assertEquals(prefix == null ? "" : prefix, config.prefix());
        assertNull(config.endpoint());
        assertFalse(config.checksumsWhenRequired(), "AWS gets the SDK's default checksums");
        assertTrue(config.expectContinue(), "AWS gets Expect: 100-continue");
    }

    @Test
    void anHttpLocationIsAnEndpointOverrideWithPathStyleDefaults() {
        S3ProviderConfig config = S3ProviderConfig.parse("http://127.0.0.1:9000/bucket-1/a/b createBucket=true");
        assertEquals(URI.create("http://127.0.0.1:9000"), config.endpoint());
        assertEquals("bucket-1", config.bucket());
        assertEquals("a/b/", config.prefix());
        assertEquals("us-east-1", config.region());
        assertTrue(config.createBucket());
        assertTrue(config.checksumsWhenRequired());
        assertFalse(config.expectContinue(), "no Expect: 100-continue to an S3-compatible server unless asked");
        assertTrue(S3ProviderConfig.parse("http://127.0.0.1:9000/bucket-1 expectContinue=true").expectContinue());
        assertFalse(S3ProviderConfig.parse("s3://bucket-1 expectContinue=false").expectContinue());
    }

    @Test
    void optionsAreParsed() {
        S3ProviderConfig config = S3ProviderConfig.parse("s3://b1b/p region=eu-west-1 storageClass=standard_ia sse=aws:kms "
                + "kmsKeyId=arn:aws:kms:eu-west-1:111122223333:key/abcd maxConcurrency=8 partSize=32MiB checksums=when_supported");
        assertEquals("eu-west-1", config.region());
        assertEquals("STANDARD_IA", config.storageClass());
        assertEquals("aws:kms", config.sse());
        assertEquals("arn:aws:kms:eu-west-1:111122223333:key/abcd", config.kmsKeyId());
        assertEquals(8, config.maxConcurrency());
        assertEquals(32L * 1024 * 1024, config.partSizeBytes());
        assertFalse(config.checksumsWhenRequired());
        assertEquals("p/manifest", config.s3Key("manifest"));
        assertEquals(null, config.objectLock());
        assertEquals(new S3ProviderConfig.ObjectLock("COMPLIANCE", java.time.Duration.ofDays(35)),
                S3ProviderConfig.parse("s3://b1b objectLock=compliance retention=35d").objectLock());
        assertEquals(new S3ProviderConfig.ObjectLock("GOVERNANCE", java.time.Duration.ofHours(12)),
                S3ProviderConfig.parse("s3://b1b objectLock=GOVERNANCE retention=12h").objectLock());
    }

    @org.junit.jupiter.api.Test
    void plainHttpIsTakenForThisMachineOrWhenAskedForByName() {
        assertEquals("http://127.0.0.1:9000", S3ProviderConfig.parse("http://127.0.0.1:9000/bucket").endpoint().toString());
        assertEquals("http://minio.example:9000",
                S3ProviderConfig.parse("http://minio.example:9000/bucket insecureHttp=true").endpoint().toString());
        assertEquals("https://minio.example:9000", S3ProviderConfig.parse("https://minio.example:9000/bucket").endpoint().toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|needs a bucket",
            "Bad_Bucket|is not a valid bucket name",
            "ftp://host/bucket|must be bucket[/prefix]",
            "s3://bucket/p sse=rot13|is not AES256 (SSE-S3) or aws:kms",
            "s3://bucket/p kmsKeyId=k|needs sse=aws:kms",
            "s3://bucket/p partSize=1MiB|must be at least 5MiB",
            "s3://bucket/p maxConcurrency=-3|must be a positive number",
            "s3://bucket/p colour=blue|unknown S3 option(s) [colour]",
            "s3://bucket/p justaword|is not key=value",
            "s3://bucket/p expectContinue=maybe|expectContinue=maybe is not true or false",
            "s3://bucket/p objectLock=compliance|S3 options objectLock and retention go together",
            "s3://bucket/p retention=30d|S3 options objectLock and retention go together",
            "s3://bucket/p objectLock=legal retention=30d|objectLock=legal is not governance or compliance",
            "s3://bucket/p objectLock=compliance retention=a month|is not key=value",
            "s3://bucket/p objectLock=compliance retention=0d|retention=0d is not a positive duration such as 35d",
            "http://minio.example:9000/bucket|is plain http to minio.example, which is not this machine: use https, or add"
                    + " insecureHttp=true to accept it"})
    void badArgumentsAreRefusedWithWhatToWrite(String argument, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> S3ProviderConfig.parse(argument));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
