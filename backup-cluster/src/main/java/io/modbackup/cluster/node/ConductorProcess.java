package io.modbackup.cluster.node;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cli.command.ClusterConnector;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cli.operation.Operations;
import io.modbackup.cli.schedule.BackupScheduler;
import io.modbackup.cli.schedule.MetricsRecorder;
import io.modbackup.cli.ui.BackupsPageHandler;
import io.modbackup.cli.ui.MetricsEndpoint;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.cluster.rpc.JsonRpcServer;
import io.modbackup.cluster.rpc.RpcSecret;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.engine.TaskWorker;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.sim.ConductorRuntime;
import io.modbackup.sim.WorkloadEntry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor process: runs the {@link ConductorRuntime} and the backup coordinator (the engine),
 * reaches each Supervisor's channel and task worker through the {@link SupervisorDirectory}, and serves
 * {@link ConductorChannel} to Supervisors, {@link ClusterAdmin} to clients (the CLI runs here),
 * {@link ProcessProbe}, and the Cluster UI's backups page at {@code /modules/<module>/backups}. Its state lives under {@code <cluster>/conductor}.
 *
 * <pre>
 * java io.modbackup.cluster.node.ConductorProcess --cluster DIR --cluster-id ID --supervisors N
 *      --provider "CLASS ARG" --catalog sample --chunk-size N --deadline-ms N --heartbeat-timeout-ms N
 *      --task-stall-ms N
 * </pre>
 *
 * <p>A Supervisor silent for the heartbeat timeout is down: every call waiting on it fails then, naming
 * it. A task has no deadline of its own: it fails when its Supervisor is down, or when that Supervisor's
 * worker moved no bytes for the task stall timeout ({@link SupervisorLiveness}).
 */
public final class ConductorProcess implements ClusterAdmin, ConductorChannel {
    private static final Logger log = LoggerFactory.getLogger(ConductorProcess.class);
    /** How long a Supervisor may be silent before the Conductor marks it down: 20 of its heartbeats. */
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);
    /** How long a Supervisor's worker may move no bytes while tasks wait on it. */
    public static final Duration DEFAULT_TASK_STALL = Duration.ofMinutes(2);
    /**
     * The engine's own deadline per task attempt: none to speak of, since the heartbeat and the stall
     * timeout bound a task that stopped, and a task of terabytes may run for hours.
     */
    private static final Duration TASK_ATTEMPT_BACKSTOP = Duration.ofDays(7);
    /** The Conductor's directory under the cluster's. */
    public static final String NODE = "conductor";
    /** The operation history's file under the Conductor's directory. */
    public static final String OPERATIONS_FILE = "operations.json";
    /** How often the backup scheduler reads the modules' backup periods. */
    private static final Duration SCHEDULER_TICK = Duration.ofSeconds(1);

    private final String clusterId;
    /** The store every node uses; a command's config must name the same. */
    private final NodeStoreConfig store;
    private final Path configFile;
    private final JsonRpcClient rpc;
    private final SupervisorDirectory supervisors;
    private final ConductorRuntime runtime;
    private final BackupOptions options;
    private final CountingProvider counting;
    private final BackupEngine engine;
    /** Every backup, restore, GC and verify this Conductor runs, from the CLI, the scheduler or a client. */
    private final Operations operations;
    /** The backup CLI's runs in this Conductor. */
    private final CliSessions cli;
    private volatile Endpoint endpoint;

    private ConductorProcess(NodeArgs args, RpcSecret secret) {
        Path cluster = Path.of(args.get("cluster")).toAbsolutePath();
        this.rpc = new JsonRpcClient(secret);
        this.clusterId = args.get("cluster-id");
        this.store = new NodeStoreConfig(args.get("provider"), args.conductorProvider(), args.storeSettings());
        Duration deadline = Duration.ofMillis(args.getLong("deadline-ms"));
        SupervisorLiveness liveness = new SupervisorLiveness(Duration.ofMillis(args.getLong("heartbeat-timeout-ms")),
                Duration.ofMillis(args.getLong("task-stall-ms")));
        // The runtime keeps a restore's staging once its first task goes to a Supervisor.
        this.supervisors = new SupervisorDirectory(rpc, deadline, TASK_ATTEMPT_BACKSTOP, liveness, this::stagingStarted);
        List<String> ids = IntStream.range(0, (int) args.getLong("supervisors")).mapToObj(i -> "supervisor-" + i).toList();
        this.runtime = new ConductorRuntime(clusterId, cluster, ids, Catalogs.named(args.get("catalog")),
                supervisors::channel, deadline);
        this.options = BackupOptions.defaults().withChunkSize((int) args.getLong("chunk-size"))
                .withTaskDeadline(TASK_ATTEMPT_BACKSTOP, 2).withStoreSettings(store.settings())
                .withScratchDirectory(cluster.resolve(NODE).resolve("scratch"));
        this.configFile = cluster.resolve(NODE).resolve("modbackup.yaml");
        store.writeConfigFile(configFile, clusterId);
        // The Conductor's own credentials where given (backup.conductor.provider): it alone deletes (leases, GC).
        this.counting = new CountingProvider(new ProviderLoader().load(store.conductorsProvider()));
        this.engine = new BackupEngine(runtime, counting, options, supervisors::worker);
        this.operations = new Operations(cluster.resolve(NODE).resolve(OPERATIONS_FILE), Clock.systemUTC(),
                Operations.DEFAULT_HISTORY);
        this.cli = new CliSessions(operations, configFile, this::connector);
    }

    private void stagingStarted(String module, String restoreId) {
        runtime.stagingStarted(module, restoreId);
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
        Endpoint.requireNoOtherIncarnation(dir, "the Conductor of " + cluster);
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
        MetricsRecorder metrics = new MetricsRecorder(Clock.systemUTC());
        BackupScheduler scheduler = new BackupScheduler(conductor.engine, conductor.runtime, Clock.systemUTC(), metrics,
                conductor.operations);
        BackupsPageHandler page = new BackupsPageHandler("/modules", conductor.engine, scheduler, metrics,
                conductor.runtime, conductor.operations);
        // "/" catches what no other context does: the page lists the modules there, and says what is not found.
        server.serve("/", page);
        server.serve("/metrics", new MetricsEndpoint(metrics, conductor.operations, conductor.runtime));
        conductor.endpoint = new Endpoint(server.address().toString(), ProcessHandle.current().pid(), System.currentTimeMillis());
        conductor.endpoint.write(dir);
        log.info("Conductor of {} (pid {}) serves at {}", conductor.clusterId, conductor.endpoint.pid(), conductor.endpoint.url());
        long pid = ProcessHandle.current().pid();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Endpoint.remove(dir, pid)));
        conductor.runtime.recoverInstalls();
        scheduler.start(SCHEDULER_TICK);
        Thread.currentThread().join();
    }

    // ------------------------------------------------------------------ Supervisors

    /**
     * {@inheritDoc}
     *
     * <p>The first report of a Supervisor's incarnation makes it host its tasks before the answer, so
     * once a Supervisor counts as joined ({@link #info()}) it runs its tasks.
     */
    @Override
    public HeartbeatReply heartbeat(SupervisorStatus status) {
        if (supervisors.report(status)) {
            try {
                runtime.supervisorJoined(status.id());
                supervisors.joined(status);
                log.info("Supervisor {} (pid {}) joined from {}", status.id(), status.endpoint().pid(),
                        status.endpoint().url());
            } catch (RuntimeException e) {
                log.warn("Supervisor {} could not take its tasks yet; its next report tries again: {}", status.id(),
                        e.getMessage());
            }
        }
        return new HeartbeatReply(runtime.snapshot(), supervisors.addresses(), endpoint);
    }

    // ------------------------------------------------------------------ ClusterAdmin

    @Override
    public ClusterInfo info() {
        return new ClusterInfo(clusterId, endpoint, supervisors.joinedSupervisors(), runtime.moduleNames(),
                supervisors.down());
    }

    @Override
    public void deploy(String module, Parallelism parallelism) {
        runtime.deploy(module, parallelism);
    }

    @Override
    public void stop(String module) {
        runtime.stop(module);
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
        return asOperation("backup", module, "", true, op -> {
            ModuleManifest manifest = engine.backup(module, op::progress);
            op.succeeded("backup " + manifest.backupId() + " committed");
            return new BackupDone(manifest.backupId(), manifest.totals().files(), manifest.totals().bytes(),
                    manifest.totals().newBytes(), manifest.totals().bytesSent(), manifest.totals().durationMillis());
        });
    }

    @Override
    public RestoreDone restore(String backupId, Parallelism parallelism) {
        return asOperation("restore", BackupId.parse(backupId).module(), backupId, true, op -> {
            RestoreResult result = engine.restore(backupId, parallelism, op::progress);
            op.succeeded("restored " + backupId + ", restore epoch " + result.marker().epoch());
            return new RestoreDone(result.backupId(), result.marker().epoch(), result.files(), result.bytes(),
                    result.durationMillis());
        });
    }

    @Override
    public VerifyReport verify(String backupId, boolean deep) {
        return asOperation("verify", BackupId.parse(backupId).module(), backupId, false, op -> {
            VerifyReport report = engine.verify(backupId, deep);
            op.succeeded(report.ok() ? "verified" : report.problems().size() + " problem(s)");
            return report;
        });
    }

    /** Runs {@code body} as an operation a client asked for; it records a failure's message as the outcome. */
    private <T> T asOperation(String kind, String module, String subject, boolean mutating,
                              Function<Operations.Running, T> body) {
        try (Operations.Running op = operations.begin(kind, module, subject, "client", mutating, false, null)) {
            try {
                return body.apply(op);
            } catch (RuntimeException e) {
                op.failed(String.valueOf(e.getMessage()));
                throw e;
            }
        }
    }

    @Override
    public List<OperationRecord> operations(String module, int limit) {
        return operations.recent(module, Math.max(1, Math.min(limit, Operations.DEFAULT_HISTORY)));
    }

    // ------------------------------------------------------------------ the CLI

    @Override
    public CliResult runCli(List<String> args) {
        return cli.run(args);
    }

    /** {@inheritDoc} See {@link CliSessions#start}. */
    @Override
    public String startCli(List<String> args) {
        return cli.start(args);
    }

    @Override
    public CliPoll pollCli(String id, int outFrom, int errFrom, long waitMillis) {
        return cli.poll(id, outFrom, errFrom, waitMillis);
    }

    /** The CLI's connector: to this Conductor, for a config that names the cluster's own store. */
    private ClusterConnector connector(String session) {
        return (config, liveState) -> {
            store.requireSameAs(config, clusterId);
            return connection(session);
        };
    }

    /** A command's connection: this Conductor's live runtime, its Supervisors' workers and its operations. */
    private ClusterConnector.Connection connection(String session) {
        return new ClusterConnector.Connection() {
            @Override
            public ClusterRuntime runtime() {
                return runtime;
            }

            @Override
            public Function<String, TaskWorker> workers() {
                return supervisors::worker;
            }

            @Override
            public BackupOptions options() {
                return options;
            }

            @Override
            public Operations operations() {
                return operations;
            }

            @Override
            public String session() {
                return session;
            }

            @Override
            public void close() {
                Objects.requireNonNull(runtime); // the runtime outlives the command
            }
        };
    }
}
