package io.modbackup.bench;

import static io.modbackup.bench.Rows.row;
import static io.modbackup.bench.Timing.time;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.s3.S3BackupProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import io.modbackup.bench.Benchmark.Options;
import io.modbackup.bench.Benchmark.Row;

/**
 * The S3 row: a full backup through S3Proxy (started in this process on a local directory) against raw
 * {@code putFile}s of the same files by the same client, from alternating rounds in one run.
 */
final class S3Rows {
    private static final String A = SampleModules.MODULE_A;

    private S3Rows() {
    }

    static Row s3Row(Options o, SimulatedCluster cluster, BackupOptions options, Path cutDir, PrintStream log)
            throws Exception {
        System.setProperty("aws.accessKeyId", "modbackup-bench");
        System.setProperty("aws.secretAccessKey", "modbackup-bench-secret");
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", o.dir().resolve("s3").toString());
        Files.createDirectories(o.dir().resolve("s3"));
        try (BlobStoreContext context = ContextBuilder.newBuilder("filesystem").credentials("id", "cred")
                .overrides(properties).build(BlobStoreContext.class)) {
            S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "modbackup-bench", "modbackup-bench-secret")
                    .ignoreUnknownHeaders(true).build();
            proxy.start();
            while (!proxy.getState().equals("STARTED")) {
                Thread.sleep(10);
            }
            try {
                String endpoint = "http://127.0.0.1:" + proxy.getPort();
                List<Path> files;
                try (Stream<Path> walk = Files.walk(cutDir)) {
                    files = walk.filter(Files::isRegularFile).toList();
                }
                Rounds s3Rounds = new Rounds("S3 full backup");
                for (int r = 0; r < o.rounds(); r++) {
                    try (S3BackupProvider s3 = new S3BackupProvider(endpoint + "/raw-" + r + " createBucket=true")) {
                        s3Rounds.baseline(time(() -> {
                            Semaphore inFlight = new Semaphore(options.maxUploadsInFlight());
                            List<CompletableFuture<Void>> puts = new ArrayList<>();
                            for (Path file : files) {
                                inFlight.acquireUninterruptibly();
                                puts.add(s3.putFile(cutDir.relativize(file).toString(), file)
                                        .whenComplete((v, e) -> inFlight.release()));
                            }
                            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                        }, false));
                    }
                    try (S3BackupProvider s3 = new S3BackupProvider(endpoint + "/modbackup-" + r + " createBucket=true");
                         BackupEngine engine = new BackupEngine(cluster, s3, options)) {
                        s3Rounds.ours(time(() -> engine.backup(A), false));
                    }
                    FileTrees.deleteTree(o.dir().resolve("s3").resolve("raw-" + r));
                    FileTrees.deleteTree(o.dir().resolve("s3").resolve("modbackup-" + r));
                }
                log.println(s3Rounds);
                return s3Rounds.row("full backup through S3 (in-process server)", "raw putFile, same client", 1.25);
            } finally {
                proxy.stop();
            }
        }
    }
}
