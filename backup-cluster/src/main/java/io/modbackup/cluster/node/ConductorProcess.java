package io.modbackup.cluster.node;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cli.command.BackupCli;
import io.modbackup.cli.command.ClusterConnector;
import io.modbackup.cli.schedule.BackupScheduler;
import io.modbackup.cli.schedule.MetricsRecorder;
import io.modbackup.cli.ui.BackupsPageHandler;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.cluster.rpc.JsonRpcServer;
import io.modbackup.cluster.rpc.RpcSecret;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.engine.TaskWorker;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.sim.ConductorRuntime;
import io.modbackup.sim.SupervisorChannel;
import io.modbackup.sim.WorkloadEntry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor process: runs the {@link ConductorRuntime} and the backup coordinator (the engine),
 * reaches each Supervisor's channel and task worker over JSON-RPC at the address the Supervisor last
 * reported, and serves {@link ConductorChannel} to Supervisors, {@link ClusterAdmin} to clients (the
 * CLI runs here), {@link ProcessProbe}, and the Cluster UI's backups page at
 * {@code /modules/<module>/backups}. Its state lives under {@code <cluster>/conductor}.
 *
 * <pre>
 * java io.modbackup.cluster.node.ConductorProcess --cluster DIR --cluster-id ID --supervisors N
 *      --provider "CLASS ARG" --catalog sample --chunk-size N --deadline-ms N --task-timeout-ms N
 * </pre>
 */
public final class ConductorProcess implements ClusterAdmin, ConductorChannel {
    private static final Logger log = LoggerFactory.getLogger(ConductorProcess.class);
    /** The Conductor's directory under the cluster's. */
    public static final String NODE = "conductor";

    private final String clusterId;
    private final String providerConfig;
    private final Path configFile;
    private final JsonRpcClient rpc;
    private final Map<String, Endpoint> supervisors = new ConcurrentHashMap<>();
    /** Supervisors whose current incarnation hosts its tasks. */
    private final Map<String, Endpoint> joined = new ConcurrentHashMap<>();
    private final Map<String, SupervisorChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, TaskWorker> workers = new ConcurrentHashMap<>();
    private final Duration deadline;
    private final Duration taskTimeout;
    private final ConductorRuntime runtime;
    private final BackupOptions options;
    /** The node's backup.compression and backup.encryption.key, also written to the config file the CLI reads. */
    private final java.util.Map<String, String> storeSettings;
    private final CountingProvider counting;
    private final BackupEngine engine;
    private volatile Endpoint endpoint;

    private ConductorProcess(NodeArgs args, RpcSecret secret) {
        Path cluster = Path.of(args.get("cluster")).toAbsolutePath();
        this.rpc = new JsonRpcClient(secret);
        this.clusterId = args.get("cluster-id");
        this.providerConfig = args.get("provider");
        this.deadline = Duration.ofMillis(args.getLong("deadline-ms"));
        this.taskTimeout = Duration.ofMillis(args.getLong("task-timeout-ms"));
        List<String> ids = IntStream.range(0, (int) args.getLong("supervisors")).mapToObj(i -> "supervisor-" + i).toList();
        this.runtime = new ConductorRuntime(clusterId, cluster, ids, Catalogs.named(args.get("catalog")), this::channel,
                deadline);
        this.storeSettings = args.storeSettings();
        this.options = BackupOptions.defaults().withChunkSize((int) args.getLong("chunk-size"))
                .withTaskDeadline(taskTimeout, 2).withStoreSettings(storeSettings)
                .withScratchDirectory(cluster.resolve(NODE).resolve("scratch"));
        this.configFile = cluster.resolve(NODE).resolve("modbackup.yaml");
        writeConfig();
        this.counting = new CountingProvider(new ProviderLoader().load(providerConfig));
        this.engine = new BackupEngine(runtime, counting, options, this::worker);
    }

    public static void main(String[] argv) throws Exception {
        run(argv, (runtime, server) -> { });
    }

    /**
     * Runs the Conductor until the process ends. {@code extension} sees the runtime and the server before
     * the Conductor serves: a test build adds its fault switches there; the shipped {@link #main} adds
     * nothing.
     */
    public static void run(String[] argv, BiConsumer<ConductorRuntime, JsonRpcServer> extension) throws Exception {
        NodeArgs args = new NodeArgs(argv);
        Path cluster = Path.of(args.get("cluster")).toAbsolutePath();
        Path dir = cluster.resolve(NODE);
        RpcSecret secret = RpcSecret.read(cluster);
        ConductorProcess conductor = new ConductorProcess(args, secret);
        JsonRpcServer server = new JsonRpcServer(secret);
        extension.accept(conductor.runtime, server);
        server.export("conductor", ConductorChannel.class, conductor);
        server.export("admin", ClusterAdmin.class, conductor);
        server.export("runtime", RuntimeService.class, new ConductorRuntimeService(conductor.runtime));
        server.export("process", ProcessProbe.class, () -> new ProcessProbe.ProcessStats(NODE, ProcessHandle.current().pid(),
                conductor.counting.bytesWritten(), conductor.counting.objectsWritten(),
                conductor.counting.chunkBytesWritten(),
                server.bytesIn() + conductor.rpc.bytesIn(), server.bytesOut() + conductor.rpc.bytesOut()));
        BackupScheduler scheduler = new BackupScheduler(conductor.engine, conductor.runtime, Clock.systemUTC(),
                new MetricsRecorder(Clock.systemUTC()));
        server.serve("/modules/", new BackupsPageHandler("/modules", conductor.engine, scheduler,
                new MetricsRecorder(Clock.systemUTC())));
        conductor.endpoint = new Endpoint(server.address().toString(), ProcessHandle.current().pid(), System.currentTimeMillis());
        conductor.endpoint.write(dir);
        log.info("Conductor of {} (pid {}) serves at {}", conductor.clusterId, conductor.endpoint.pid(), conductor.endpoint.url());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Endpoint.remove(dir)));
        conductor.runtime.recoverInstalls();
        Thread.currentThread().join();
    }

    private void writeConfig() {
        try {
            io.modbackup.core.fs.PrivateFiles.createDirectories(configFile.getParent());
            StringBuilder config = new StringBuilder("backup.provider: \"" + providerConfig + "\"\ncluster.id: \""
                    + clusterId + "\"\n");
            storeSettings.forEach((key, value) -> config.append(key).append(": \"").append(value).append("\"\n"));
            // It may carry backup.encryption.key: written 0600, and atomically, so no reader sees it half written.
            Path temp = java.nio.file.Files.createTempFile(configFile.getParent(), "modbackup", ".yaml.tmp",
                    io.modbackup.core.fs.PrivateFiles.fileAttribute());
            java.nio.file.Files.writeString(temp, config);
            java.nio.file.Files.move(temp, configFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + configFile, e);
        }
    }

    // ------------------------------------------------------------------ Supervisors

    private SupervisorChannel channel(String id) {
        return channels.computeIfAbsent(id, s -> rpc.proxy(SupervisorChannel.class, "supervisor", "Supervisor " + s,
                () -> address(s).uri(), m -> deadline));
    }

    /** The worker of a Supervisor; a restore's first task there tells the runtime to keep its staging. */
    private TaskWorker worker(String id) {
        return workers.computeIfAbsent(id, s -> {
            TaskWorker remote = rpc.proxy(TaskWorker.class, "worker", "the task worker of Supervisor " + s,
                    () -> address(s).uri(), m -> taskTimeout);
            return new TaskWorker() {
                @Override
                public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
                    return remote.backupTask(request);
                }

                @Override
                public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
                    runtime.stagingStarted(request.module(), request.restoreId());
                    return remote.restoreTask(request);
                }
            };
        });
    }

    private Endpoint address(String id) {
        Endpoint endpoint = supervisors.get(id);
        if (endpoint == null) {
            throw new IllegalStateException("Supervisor " + id + " has not reported to the Conductor");
        }
        return endpoint;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The first report of a Supervisor's incarnation makes it host its tasks before the answer, so
     * once a Supervisor counts as joined ({@link #info()}) it runs its tasks.
     */
    @Override
    public HeartbeatReply heartbeat(SupervisorStatus status) {
        supervisors.put(status.id(), status.endpoint());
        if (!status.endpoint().equals(joined.get(status.id()))) {
            try {
                runtime.supervisorJoined(status.id());
                joined.put(status.id(), status.endpoint());
                log.info("Supervisor {} (pid {}) joined from {}", status.id(), status.endpoint().pid(),
                        status.endpoint().url());
            } catch (RuntimeException e) {
                log.warn("Supervisor {} could not take its tasks yet; its next report tries again: {}", status.id(),
                        e.getMessage());
            }
        }
        return new HeartbeatReply(runtime.snapshot(), Map.copyOf(supervisors));
    }

    // ------------------------------------------------------------------ ClusterAdmin

    @Override
    public ClusterInfo info() {
        return new ClusterInfo(clusterId, endpoint, new TreeMap<>(joined), runtime.moduleNames());
    }

    @Override
    public void deploy(String module, Parallelism parallelism) {
        runtime.deploy(module, parallelism);
    }

    @Override
    public int append(String module, String depot, List<WorkloadEntry> entries) {
        return runtime.append(module, depot, entries);
    }

    @Override
    public long restoreEpoch(String module) {
        return runtime.restoreMarker(module).map(io.modbackup.api.runtime.RestoreMarker::epoch).orElse(0L);
    }

    @Override
    public Map<Integer, String> placement(String module) {
        return runtime.placement(module);
    }

    @Override
    public Map<Integer, Long> depotEndOffsets(String module, String depot) {
        Map<Integer, Long> ends = new TreeMap<>();
        for (int task : runtime.placement(module).keySet()) {
            ends.put(task, runtime.depots().endOffset(module, depot, task));
        }
        return ends;
    }

    @Override
    public List<io.modbackup.sim.DepotEntry> readDepot(String module, String depot, int partition, long from,
                                                               int max) {
        return runtime.depots().read(module, depot, partition, from, max);
    }

    @Override
    public boolean awaitCaughtUp(String module, long timeoutMillis) {
        try {
            return runtime.awaitCaughtUp(module, Duration.ofMillis(timeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public CutDescriptor captureCut(String module) {
        return runtime.captureCut(module);
    }

    @Override
    public io.modbackup.sim.CutTiming lastCutTiming(String module) {
        return runtime.lastCutTiming(module).orElse(null);
    }

    @Override
    public void releaseCut(String module, String cutId) {
        runtime.releaseCut(module, cutId);
    }

    @Override
    public BackupDone backup(String module) {
        ModuleManifest manifest = engine.backup(module);
        return new BackupDone(manifest.backupId(), manifest.totals().files(), manifest.totals().bytes(),
                manifest.totals().newBytes(), manifest.totals().durationMillis());
    }

    @Override
    public RestoreDone restore(String backupId, Parallelism parallelism) {
        RestoreResult result = engine.restore(backupId, parallelism, io.modbackup.core.engine.Progress.Observer.none());
        return new RestoreDone(result.backupId(), result.marker().epoch(), result.files(), result.bytes(),
                result.durationMillis());
    }

    @Override
    public VerifyReport verify(String backupId, boolean deep) {
        return engine.verify(backupId, deep);
    }

    @Override
    public CliResult runCli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> withConfig = args.contains("--config") ? args
                : java.util.stream.Stream.concat(args.stream(), java.util.stream.Stream.of("--config", configFile.toString()))
                .toList();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = BackupCli.run(connector(), withConfig.toArray(String[]::new), o, e);
        }
        return new CliResult(code, out.toString(), err.toString());
    }

    /** The CLI's connection: this Conductor's live runtime and its Supervisors' workers. */
    private ClusterConnector connector() {
        return (config, liveState) -> new ClusterConnector.Connection() {
            @Override
            public ClusterRuntime runtime() {
                return runtime;
            }

            @Override
            public Function<String, TaskWorker> workers() {
                return ConductorProcess.this::worker;
            }

            @Override
            public BackupOptions options() {
                return options;
            }

            @Override
            public void close() {
                Objects.requireNonNull(runtime); // the runtime outlives the command
            }
        };
    }
}
