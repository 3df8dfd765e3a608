package io.modbackup.s3;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * moto's S3 server ({@code moto_server}, the Python S3 mock that LocalStack's S3 grew out of) as a
 * child process on a free loopback port, for tests that run where it is installed. Objects live in
 * the server's memory. Any credentials are accepted.
 */
public final class MotoServer implements AutoCloseable {
    private static final String EXECUTABLE = "moto_server";

    private final Process process;
    private final int port;
    private final Path log;
    private final AtomicInteger buckets = new AtomicInteger();

    /** Whether {@code moto_server} is on the PATH: the condition of every test that uses it. */
    public static boolean available() {
        return executable().isPresent();
    }

    private static Optional<Path> executable() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, EXECUTABLE))
                .filter(Files::isExecutable).findFirst();
    }

    /** Starts the server and waits until it accepts connections (at most 60 s). */
    public MotoServer() throws IOException, InterruptedException {
        Path exe = executable().orElseThrow(() -> new IllegalStateException(EXECUTABLE + " is not on the PATH"));
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        log = Files.createTempFile("moto-server-", ".log");
        process = new ProcessBuilder(exe.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!accepts()) {
            if (!process.isAlive() || System.nanoTime() > until) {
                close();
                throw new IllegalStateException(EXECUTABLE + " did not start on port " + port + ": " + Files.readString(log));
            }
            Thread.sleep(100);
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

    /** A provider argument for a new, empty bucket. */
    public String newBucketArgument(String prefix) {
        return endpoint() + "/moto-" + buckets.incrementAndGet() + (prefix.isEmpty() ? "" : "/" + prefix)
                + " region=us-east-1 createBucket=true";
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
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temporary log
        }
    }
}
