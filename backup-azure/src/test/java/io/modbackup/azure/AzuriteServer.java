package io.modbackup.azure;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Microsoft's Azure Storage emulator, Azurite's Blob service, as a child process on a port it picks,
 * blobs in a directory of its own. Found on the PATH ({@code azurite-blob}) or in
 * {@code ~/.cache/modbackup/azurite-3.35.0}, and installed there from the npm registry when neither has
 * it (as {@code .ci/run} does beforehand): the tests never skip for want of it.
 */
public final class AzuriteServer implements AutoCloseable {
    /** The newest Azurite that runs on Node.js 20 (3.36 and later need 21 or 22). */
    static final String VERSION = "3.35.0";
    /** Azurite's well-known development account: its name and key are public, documented by Microsoft. */
    static final String ACCOUNT = "devstoreaccount1";
    static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static final Pattern LISTENING = Pattern.compile("listens on (http://127\\.0\\.0\\.1:(\\d+))");

    private final Path dir;
    private final Path log;
    private final Process process;
    private final String endpoint;
    private final AtomicInteger containers = new AtomicInteger();

    /** Starts Azurite with its blobs under {@code dir}; waits until it listens (at most 60 s). */
    public AzuriteServer(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        Files.createDirectories(dir);
        log = dir.resolveSibling(dir.getFileName() + ".log");
        process = new ProcessBuilder(executable().toString(), "--blobHost", "127.0.0.1", "--blobPort", "0", "--location",
                dir.toString(), "--silent", "--disableTelemetry", "--skipApiVersionCheck")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String found = null;
        while (found == null) {
            Matcher m = LISTENING.matcher(Files.readString(log));
            if (m.find()) {
                found = m.group(1);
            } else if (!process.isAlive() || System.nanoTime() > until) {
                close();
                throw new IllegalStateException("Azurite did not start: " + Files.readString(log));
            } else {
                Thread.sleep(50);
            }
        }
        endpoint = found;
    }

    /** The executable, installing Azurite from the npm registry into the user's cache when it is nowhere. */
    static synchronized Path executable() throws IOException, InterruptedException {
        Optional<Path> onPath = Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "azurite-blob")).filter(Files::isExecutable).findFirst();
        if (onPath.isPresent()) {
            return onPath.get();
        }
        Path home = Path.of(System.getProperty("user.home"), ".cache", "modbackup", "azurite-" + VERSION);
        Path cached = home.resolve("node_modules").resolve(".bin").resolve("azurite-blob");
        if (!Files.isExecutable(cached)) {
            Path npmLog = Files.createTempFile("azurite-npm-", ".log");
            int code;
            try {
                code = new ProcessBuilder("npm", "install", "--prefix", home.toString(), "--no-audit", "--no-fund",
                        "azurite@" + VERSION).redirectErrorStream(true).redirectOutput(npmLog.toFile()).start().waitFor();
            } catch (IOException e) {
                Files.deleteIfExists(npmLog);
                throw new IllegalStateException("Azurite is not installed and npm is missing: install Node.js 20 and npm"
                        + " (Debian: apt-get install nodejs npm), or run .ci/run, which does", e);
            }
            try {
                if (code != 0 || !Files.isExecutable(cached)) {
                    throw new IllegalStateException("npm install azurite@" + VERSION + " failed: " + Files.readString(npmLog));
                }
            } finally {
                Files.deleteIfExists(npmLog);
            }
        }
        return cached;
    }

    /** The account's Blob endpoint, path-style: {@code http://127.0.0.1:PORT/devstoreaccount1}. */
    public String accountUrl() {
        return endpoint + "/" + ACCOUNT;
    }

    /** The environment the provider takes its credentials from: Azurite's development account key. */
    public static Map<String, String> environment() {
        return Map.of(AzureCredentials.CONNECTION_STRING, "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT
                + ";AccountKey=" + ACCOUNT_KEY);
    }

    /** A provider argument for a new, empty container (created on first use). */
    public String newContainerArgument(String prefix) {
        return accountUrl() + "/azurite-" + containers.incrementAndGet() + (prefix.isEmpty() ? "" : "/" + prefix)
                + " createContainer=true";
    }

    /** A provider for a new, empty container, with Azurite's credentials. */
    public AzureBlobBackupProvider newProvider(String prefix) {
        return new AzureBlobBackupProvider(AzureProviderConfig.parse(newContainerArgument(prefix)), environment());
    }

    /** Where Azurite keeps its blobs. */
    public Path directory() {
        return dir;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // Beside the blobs' directory, which its owner removes: the log is the server's to remove.
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temporary log
        }
    }
}
