package io.modbackup.s3;

import io.modbackup.api.provider.ProviderArguments;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything {@link S3BackupProvider} reads from its config argument, parsed in one place. The
 * argument is a location followed by optional {@code key=value} options, separated by spaces:
 *
 * <pre>
 * my-bucket
 * my-bucket/backups/prod
 * s3://my-bucket/backups/prod region=eu-west-1 storageClass=STANDARD_IA
 * s3://my-bucket sse=aws:kms kmsKeyId=arn:aws:kms:eu-west-1:111122223333:key/abcd
 * http://127.0.0.1:9000/my-bucket/prefix region=us-east-1 createBucket=true
 * s3://my-locked-bucket/prod objectLock=compliance retention=35d
 * </pre>
 *
 * An {@code http(s)://host:port/} location sets an endpoint override with path-style access, for
 * S3-compatible stores.
 *
 * @param bucket the bucket
 * @param prefix key prefix inside the bucket, {@code ""} or ending with {@code /}
 * @param endpoint endpoint override, or {@code null} for AWS
 * @param region region, or {@code null} for the SDK's default region chain ({@code us-east-1} with
 *     an endpoint override)
 * @param storageClass storage class of uploaded objects, e.g. {@code STANDARD_IA}; {@code null} for the bucket default
 * @param sse server-side encryption: {@code null}, {@code AES256} (SSE-S3) or {@code aws:kms} (SSE-KMS)
 * @param kmsKeyId KMS key for SSE-KMS, or {@code null} for the AWS-managed key
 * @param maxConcurrency most HTTP connections at once (default 64)
 * @param partSizeBytes multipart part size (default 16 MiB; objects above it go multipart)
 * @param createBucket create the bucket when it does not exist instead of failing (default false)
 * @param checksumsWhenRequired send and check request checksums only where S3 requires them (default:
 *     true with an endpoint override, since many S3-compatible stores reject the newer checksum headers)
 * @param expectContinue send {@code Expect: 100-continue} before upload bodies (default: true on AWS,
 *     false with an endpoint override: some S3-compatible servers, moto's among them, answer it with two
 *     {@code 100} lines and the SDK's Netty client takes the second for the final answer)
 * @param objectLock S3 Object Lock of the store's immutable objects ({@code objectLock=governance|compliance
 *     retention=DURATION}), or {@code null} for none
 */
public record S3ProviderConfig(String bucket, String prefix, URI endpoint, String region, String storageClass,
                               String sse, String kmsKeyId, int maxConcurrency, long partSizeBytes,
                               boolean createBucket, boolean checksumsWhenRequired, boolean expectContinue,
                               ObjectLock objectLock) {

    /**
     * Object Lock settings: every object a create stores is locked in {@code mode} until its creation plus one
     * and a half {@code retention}s (see {@link io.modbackup.api.provider.ObjectRetention}).
     *
     * @param mode {@code GOVERNANCE} (users with s3:BypassGovernanceRetention may still delete) or
     *     {@code COMPLIANCE} (nobody may, the account's root included, until the lock ends)
     * @param retention how long past a backup its objects stay locked, at least: at least the age after which
     *     the retention policy deletes backups
     */
    public record ObjectLock(String mode, java.time.Duration retention) {
    }

    public static final int DEFAULT_MAX_CONCURRENCY = 64;
    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;
    /** S3's smallest part size. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;

    public S3ProviderConfig {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Parses the provider argument.
     *
     * @throws IllegalArgumentException naming the argument and what to write instead
     */
    private static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.startsWith("127.");
    }

    public static S3ProviderConfig parse(String argument) {
        if (argument == null || argument.isBlank()) {
            throw new IllegalArgumentException("S3BackupProvider needs a bucket, e.g. \"s3://my-bucket/prefix\"");
        }
        String[] parts = argument.strip().split("\\s+");
        String location = parts[0];
        Map<String, String> options = new TreeMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("S3 option '" + parts[i] + "' is not key=value; options are "
                        + "region, storageClass, sse, kmsKeyId, maxConcurrency, partSize, createBucket, checksums, expectContinue");
            }
            options.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        URI endpoint = null;
        String path;
        if (location.startsWith("http://") || location.startsWith("https://")) {
            URI uri = URI.create(location);
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("S3 location '" + location + "' has no host");
            }
            endpoint = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
            path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        } else if (location.startsWith("s3://")) {
            path = location.substring("s3://".length());
        } else if (location.contains("://")) {
            throw new IllegalArgumentException("S3 location '" + location + "' must be bucket[/prefix], s3://bucket[/prefix]"
                    + " or http(s)://host:port/bucket[/prefix]");
        } else {
            path = location;
        }
        int slash = path.indexOf('/');
        String bucket = slash < 0 ? path : path.substring(0, slash);
        String prefix = slash < 0 ? "" : path.substring(slash + 1);
        if (!bucket.matches("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("S3 location '" + location + "': '" + bucket + "' is not a valid bucket name"
                    + " (3-63 lower-case letters, digits, dots and hyphens)");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (prefix.startsWith("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("S3 location '" + location + "': prefix '" + prefix + "' has an empty segment");
        }
        String sse = options.remove("sse");
        if (sse != null && !sse.equals("AES256") && !sse.equals("aws:kms")) {
            throw new IllegalArgumentException("S3 option sse=" + sse + " is not AES256 (SSE-S3) or aws:kms (SSE-KMS)");
        }
        String kmsKeyId = options.remove("kmsKeyId");
        if (kmsKeyId != null && !"aws:kms".equals(sse)) {
            throw new IllegalArgumentException("S3 option kmsKeyId needs sse=aws:kms");
        }
        int maxConcurrency = (int) positive(options.remove("maxConcurrency"), DEFAULT_MAX_CONCURRENCY, "maxConcurrency");
        long partSize = options.containsKey("partSize") ? size(options.remove("partSize")) : DEFAULT_PART_SIZE;
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("S3 option partSize must be at least 5MiB, got " + partSize + " bytes");
        }
        boolean createBucket = Boolean.parseBoolean(options.getOrDefault("createBucket", "false"));
        options.remove("createBucket");
        String checksums = options.remove("checksums");
        boolean whenRequired = checksums == null ? endpoint != null : checksums.equalsIgnoreCase("when_required");
        if (checksums != null && !checksums.equalsIgnoreCase("when_required") && !checksums.equalsIgnoreCase("when_supported")) {
            throw new IllegalArgumentException("S3 option checksums=" + checksums + " is not when_required or when_supported");
        }
        String expectContinueOption = options.remove("expectContinue");
        if (expectContinueOption != null && !expectContinueOption.equals("true") && !expectContinueOption.equals("false")) {
            throw new IllegalArgumentException("S3 option expectContinue=" + expectContinueOption + " is not true or false");
        }
        boolean expectContinue = expectContinueOption == null ? endpoint == null : Boolean.parseBoolean(expectContinueOption);
        String region = options.remove("region");
        String storageClass = options.remove("storageClass");
        String insecureHttp = options.remove("insecureHttp");
        ObjectLock objectLock = objectLock(options.remove("objectLock"), options.remove("retention"));
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("unknown S3 option(s) " + options.keySet() + "; options are region, "
                    + "storageClass, sse, kmsKeyId, maxConcurrency, partSize, createBucket, checksums, expectContinue,"
                    + " insecureHttp, objectLock, retention");
        }
        // Plain HTTP sends credentials' signatures and, in an unencrypted store, every byte in the clear: only to
        // this machine unless asked for by name.
        if (endpoint != null && endpoint.getScheme().equals("http") && !loopback(endpoint.getHost())
                && !"true".equals(insecureHttp)) {
            throw new IllegalArgumentException("S3 location '" + location + "' is plain http to " + endpoint.getHost()
                    + ", which is not this machine: use https, or add insecureHttp=true to accept it");
        }
        if (region == null && endpoint != null) {
            region = "us-east-1";
        }
        return new S3ProviderConfig(bucket, prefix, endpoint, region,
                storageClass == null ? null : storageClass.toUpperCase(Locale.ROOT), sse, kmsKeyId, maxConcurrency,
                partSize, createBucket, whenRequired, expectContinue, objectLock);
    }

    private static ObjectLock objectLock(String mode, String retention) {
        if (mode == null && retention == null) {
            return null;
        }
        if (mode == null || retention == null) {
            throw new IllegalArgumentException("S3 options objectLock and retention go together, e.g. objectLock=compliance"
                    + " retention=35d (retention: at least the age after which backups are deleted)");
        }
        String upper = mode.toUpperCase(Locale.ROOT);
        if (!upper.equals("GOVERNANCE") && !upper.equals("COMPLIANCE")) {
            throw new IllegalArgumentException("S3 option objectLock=" + mode + " is not governance or compliance");
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([dhms])").matcher(retention);
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("S3 option retention=" + retention + " is not a positive duration such as"
                    + " 35d, 12h, 30m or 90s");
        }
        long n = Long.parseLong(m.group(1));
        java.time.Duration period = switch (m.group(2)) {
            case "d" -> java.time.Duration.ofDays(n);
            case "h" -> java.time.Duration.ofHours(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            default -> java.time.Duration.ofSeconds(n);
        };
        return new ObjectLock(upper, period);
    }

    private static long positive(String value, long defaultValue, String name) {
        return ProviderArguments.positive(value, defaultValue, name, "S3");
    }

    /** Parses sizes such as {@code 16MiB}, {@code 8MB}, {@code 1048576}. */
    static long size(String value) {
        return ProviderArguments.size(value, "S3");
    }

    /** The full S3 key of a provider key. */
    public String s3Key(String key) {
        return prefix + key;
    }
}
