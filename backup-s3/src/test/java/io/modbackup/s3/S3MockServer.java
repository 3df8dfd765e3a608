package io.modbackup.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Adobe's S3Mock, an S3 server with versioning, Object Lock retention and conditional writes, run from
 * its executable jar (fetched from Maven Central by the build into {@code target/s3mock}) as its own JVM
 * on a free loopback port, objects under a temporary directory. Any credentials are accepted.
 */
public final class S3MockServer implements AutoCloseable {
    /** Where the build puts the jar (maven-dependency-plugin, process-test-resources). */
    static final Path JAR = Path.of("target", "s3mock", "s3mock.jar");

    private final Process process;
    private final int port;
    private final Path root;
    private final Path log;
    private final AtomicInteger buckets = new AtomicInteger();

    /** Starts the server and waits until it accepts connections (at most 120 s: a Spring Boot start). */
    public S3MockServer() throws IOException, InterruptedException {
        if (!Files.isRegularFile(JAR)) {
            throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: run the tests through Maven, whose"
                    + " process-test-resources phase copies S3Mock there");
        }
        port = freePort();
        int httpsPort = freePort();
        root = Files.createTempDirectory("s3mock-");
        log = Files.createTempFile("s3mock-", ".log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar",
                JAR.toAbsolutePath().toString(), "--server.port=" + httpsPort, "--com.adobe.testing.s3mock.httpPort=" + port,
                "--com.adobe.testing.s3mock.store.root=" + root, "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!accepts()) {
            if (!process.isAlive() || System.nanoTime() > until) {
                String output = Files.readString(log);
                close();
                throw new IllegalStateException("S3Mock did not start on port " + port + ": "
                        + output.substring(Math.max(0, output.length() - 4000)));
            }
            Thread.sleep(100);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A new bucket's name. */
    public String newBucket() {
        return "s3mock-" + buckets.incrementAndGet();
    }

    /** A provider argument for a new, empty bucket. */
    public String newBucketArgument(String prefix) {
        return endpoint() + "/" + newBucket() + (prefix.isEmpty() ? "" : "/" + prefix) + " region=us-east-1 createBucket=true";
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
            TestFiles.deleteRecursively(root);
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // temporary files
        }
    }
}
