package io.modbackup.bench;

import static io.modbackup.bench.Rows.row;
import static io.modbackup.bench.Timing.time;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.azure.AzureBlobBackupProvider;
import io.modbackup.azure.AzureProviderConfig;
import io.modbackup.azure.AzuriteServer;
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
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import io.modbackup.bench.Benchmark.Options;
import io.modbackup.bench.Benchmark.Row;

/**
 * The rows of the cloud stores, each on a server of its kind on this machine: a full backup against raw
 * {@code putFile}s of the same files by the same client, from alternating rounds in one run.
 */
final class StoreRows {
    private static final String A = SampleModules.MODULE_A;

    private StoreRows() {
    }

    /** The S3 row, through S3Proxy started in this process on a local directory. */
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
                return rawVersusOurs(o, cluster, options, cutDir, log, "S3", "full backup through S3 (in-process server)",
                        r -> new S3BackupProvider(endpoint + "/raw-" + r + " createBucket=true"),
                        r -> new S3BackupProvider(endpoint + "/modbackup-" + r + " createBucket=true"),
                        r -> {
                            FileTrees.deleteTree(o.dir().resolve("s3").resolve("raw-" + r));
                            FileTrees.deleteTree(o.dir().resolve("s3").resolve("modbackup-" + r));
                        });
            } finally {
                proxy.stop();
            }
        }
    }

    /**
     * The Azure row: a full backup through Azurite (a child process on a local directory) against raw
     * {@code putFile}s of the same files by the same client, from alternating rounds in one run.
     */
    static Row azureRow(Options o, SimulatedCluster cluster, BackupOptions options, Path cutDir, PrintStream log)
            throws Exception {
        try (AzuriteServer azurite = new AzuriteServer(o.dir().resolve("azurite"))) {
            return rawVersusOurs(o, cluster, options, cutDir, log, "Azure", "full backup through Azure (Azurite)",
                    r -> new AzureBlobBackupProvider(AzureProviderConfig.parse(azurite.accountUrl() + "/raw-" + r
                            + " createContainer=true"), AzuriteServer.environment()),
                    r -> new AzureBlobBackupProvider(AzureProviderConfig.parse(azurite.accountUrl() + "/modbackup-" + r
                            + " createContainer=true"), AzuriteServer.environment()),
                    r -> { });
        } finally {
            FileTrees.deleteTree(o.dir().resolve("azurite"));
        }
    }

    /** Per round, raw {@code putFile}s of every file of the cut (as many in flight as the engine's uploads), then our backup. */
    private static Row rawVersusOurs(Options o, SimulatedCluster cluster, BackupOptions options, Path cutDir, PrintStream log,
                                     String store, String what, IntFunction<BackupProvider> raw, IntFunction<BackupProvider> ours,
                                     IntConsumer afterRound) throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(cutDir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        Rounds rounds = new Rounds(store + " full backup");
        for (int r = 0; r < o.rounds(); r++) {
            try (BackupProvider provider = raw.apply(r)) {
                rounds.baseline(time(() -> {
                    Semaphore inFlight = new Semaphore(options.maxUploadsInFlight());
                    List<CompletableFuture<Void>> puts = new ArrayList<>();
                    for (Path file : files) {
                        inFlight.acquireUninterruptibly();
                        puts.add(provider.putFile(cutDir.relativize(file).toString(), file)
                                .whenComplete((v, e) -> inFlight.release()));
                    }
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                }, false));
            }
            try (BackupProvider provider = ours.apply(r);
                 BackupEngine engine = new BackupEngine(cluster, provider, options)) {
                rounds.ours(time(() -> engine.backup(A), false));
            }
            afterRound.accept(r);
        }
        log.println(rounds);
        return rounds.row(what, "raw putFile, same client", 1.25);
    }
}
