package io.modbackup.azure;

import io.modbackup.api.provider.ProviderArguments;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything {@link AzureBlobBackupProvider} reads from its config argument, parsed in one place. The
 * argument is a container URL, optionally followed by a key prefix, then optional {@code key=value}
 * options, separated by spaces:
 *
 * <pre>
 * https://myaccount.blob.core.windows.net/backups
 * https://myaccount.blob.core.windows.net/backups/clusters/prod tier=Cool blockSize=16MiB
 * http://127.0.0.1:10000/devstoreaccount1/backups/prod createContainer=true
 * </pre>
 *
 * A host that is an IP address or {@code localhost} takes the account from the first path segment, as
 * Azurite and other emulators serve it. Credentials never come from the argument: see
 * {@link AzureBlobBackupProvider}.
 *
 * @param serviceEndpoint the account's Blob endpoint, e.g. {@code https://myaccount.blob.core.windows.net}
 * @param account the storage account name
 * @param container the container
 * @param prefix key prefix inside the container, {@code ""} or ending with {@code /}
 * @param blockSizeBytes the block size of large uploads and the range size of parallel downloads (default 8 MiB)
 * @param maxConcurrency blocks or ranges of one file in flight at once (default 8)
 * @param tier access tier of uploaded blobs ({@code Hot}, {@code Cool} or {@code Cold}), or {@code null} for
 *     the account's default
 * @param createContainer create the container when it does not exist instead of failing (default false)
 * @param maxTries tries of each request, the first included, with exponential back-off between them (default 4,
 *     the SDK's: about 30 s before a request to a server that went away fails)
 */
public record AzureProviderConfig(URI serviceEndpoint, String account, String container, String prefix,
                                  long blockSizeBytes, int maxConcurrency, String tier, boolean createContainer,
                                  int maxTries) {

    public static final long DEFAULT_BLOCK_SIZE = 8L * 1024 * 1024;
    public static final int DEFAULT_MAX_CONCURRENCY = 8;
    public static final int DEFAULT_MAX_TRIES = 4;
    /** Azure's largest block (4000 MiB); a larger one is refused by the service. */
    public static final long MAX_BLOCK_SIZE = 4000L * 1024 * 1024;
    private static final Set<String> TIERS = Set.of("Hot", "Cool", "Cold");
    private static final String OPTIONS = "blockSize, maxConcurrency, tier, createContainer, maxTries, insecureHttp";

    public AzureProviderConfig {
        Objects.requireNonNull(serviceEndpoint, "serviceEndpoint");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Parses the provider argument.
     *
     * @throws IllegalArgumentException naming the argument and what to write instead
     */
    public static AzureProviderConfig parse(String argument) {
        if (argument == null || argument.isBlank()) {
            throw new IllegalArgumentException("AzureBlobBackupProvider needs a container URL, e.g."
                    + " \"https://myaccount.blob.core.windows.net/backups/prod\"");
        }
        String[] parts = argument.strip().split("\\s+");
        String location = parts[0];
        Map<String, String> options = new TreeMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Azure option '" + parts[i] + "' is not key=value; options are " + OPTIONS);
            }
            options.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        if (!location.startsWith("https://") && !location.startsWith("http://")) {
            throw new IllegalArgumentException("Azure location '" + location + "' must be a container URL:"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]");
        }
        URI uri;
        try {
            uri = URI.create(location);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Azure location '" + location + "' is not a URL: " + e.getMessage());
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("Azure location '" + location + "' has no host");
        }
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("Azure location '" + location + "' carries a query (a SAS?): credentials"
                    + " never go in the provider argument; set AZURE_STORAGE_SAS_TOKEN instead");
        }
        String host = uri.getHost();
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        String account;
        String origin = uri.getScheme() + "://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        URI serviceEndpoint;
        if (pathStyle(host)) {
            int slash = path.indexOf('/');
            account = slash < 0 ? path : path.substring(0, slash);
            path = slash < 0 ? "" : path.substring(slash + 1);
            serviceEndpoint = URI.create(origin + "/" + account);
        } else {
            int dot = host.indexOf('.');
            account = dot < 0 ? host : host.substring(0, dot);
            serviceEndpoint = URI.create(origin);
        }
        if (!account.matches("[a-z0-9]{3,24}")) {
            throw new IllegalArgumentException("Azure location '" + location + "': '" + account + "' is not a valid storage"
                    + " account name (3-24 lower-case letters and digits)");
        }
        int slash = path.indexOf('/');
        String container = slash < 0 ? path : path.substring(0, slash);
        String prefix = slash < 0 ? "" : path.substring(slash + 1);
        if (container.isEmpty()) {
            throw new IllegalArgumentException("Azure location '" + location + "' names no container:"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PREFIX]");
        }
        if (!container.matches("[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("Azure location '" + location + "': '" + container + "' is not a valid"
                    + " container name (3-63 lower-case letters, digits and single hyphens)");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (prefix.startsWith("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("Azure location '" + location + "': prefix '" + prefix + "' has an empty segment");
        }
        long blockSize = options.containsKey("blockSize") ? size(options.remove("blockSize")) : DEFAULT_BLOCK_SIZE;
        if (blockSize < 64 * 1024 || blockSize > MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException("Azure option blockSize must be between 64KiB and 4000MiB, got " + blockSize
                    + " bytes");
        }
        int maxConcurrency = positive(options.remove("maxConcurrency"), DEFAULT_MAX_CONCURRENCY, "maxConcurrency");
        int maxTries = positive(options.remove("maxTries"), DEFAULT_MAX_TRIES, "maxTries");
        String tier = options.remove("tier");
        if (tier != null) {
            String canonical = tier.isEmpty() ? tier : tier.substring(0, 1).toUpperCase(Locale.ROOT)
                    + tier.substring(1).toLowerCase(Locale.ROOT);
            if (canonical.equals("Archive")) {
                throw new IllegalArgumentException("Azure option tier=Archive is refused: archived blobs must be"
                        + " rehydrated for hours before a restore can read them; use Hot, Cool or Cold");
            }
            if (!TIERS.contains(canonical)) {
                throw new IllegalArgumentException("Azure option tier=" + tier + " is not Hot, Cool or Cold");
            }
            tier = canonical;
        }
        String create = options.remove("createContainer");
        if (create != null && !create.equals("true") && !create.equals("false")) {
            throw new IllegalArgumentException("Azure option createContainer=" + create + " is not true or false");
        }
        String insecureHttp = options.remove("insecureHttp");
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("unknown Azure option(s) " + options.keySet() + "; options are " + OPTIONS);
        }
        // Plain HTTP sends the request signatures and, in an unencrypted store, every byte in the clear: only to
        // this machine unless asked for by name.
        if (uri.getScheme().equals("http") && !loopback(host) && !"true".equals(insecureHttp)) {
            throw new IllegalArgumentException("Azure location '" + location + "' is plain http to " + host
                    + ", which is not this machine: use https, or add insecureHttp=true to accept it");
        }
        return new AzureProviderConfig(serviceEndpoint, account, container, prefix, blockSize, maxConcurrency, tier,
                "true".equals(create), maxTries);
    }

    /** The blob name of a provider key. */
    public String blobName(String key) {
        return prefix + key;
    }

    /** The container's URL, for messages. */
    public String containerUrl() {
        return serviceEndpoint + "/" + container;
    }

    private static boolean pathStyle(String host) {
        return loopback(host) || host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.startsWith("[");
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("[::1]") || host.startsWith("127.");
    }

    private static int positive(String value, int defaultValue, String name) {
        return (int) Math.min(Integer.MAX_VALUE, ProviderArguments.positive(value, defaultValue, name, "Azure"));
    }

    /** Parses sizes such as {@code 16MiB}, {@code 8MB}, {@code 1048576}. */
    static long size(String value) {
        return ProviderArguments.size(value, "Azure");
    }
}
