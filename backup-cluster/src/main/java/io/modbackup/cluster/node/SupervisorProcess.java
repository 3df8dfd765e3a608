package io.modbackup.cluster.node;

import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.cluster.rpc.JsonRpcServer;
import io.modbackup.cluster.rpc.RpcSecret;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.SupervisorWorker;
import io.modbackup.core.engine.TaskWorker;
import io.modbackup.sim.ModuleCode;
import io.modbackup.sim.SupervisorChannel;
import io.modbackup.sim.SupervisorHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Supervisor process: hosts its tasks under {@code <cluster>/<id>}, loads the provider from the
 * cluster's {@code backup.provider} and runs the task worker that uploads and stages its own tasks'
 * files, serves {@link SupervisorChannel}, {@link TaskWorker} and {@link ProcessProbe} over JSON-RPC,
 * and reports to the Conductor (found through its endpoint file) every {@value #HEARTBEAT_MILLIS} ms.
 *
 * <pre>
 * java io.modbackup.cluster.node.SupervisorProcess --cluster DIR --id supervisor-0 --provider "CLASS ARG"
 *      --catalog sample --segment-bytes N --chunk-size N
 * </pre>
 */
public final class SupervisorProcess {
    private static final Logger log = LoggerFactory.getLogger(SupervisorProcess.class);
    static final long HEARTBEAT_MILLIS = 250;

    private SupervisorProcess() {
    }

    public static void main(String[] argv) throws Exception {
        run(argv, host -> { });
    }

    /**
     * Runs the Supervisor until the process ends. {@code extension} sees the host before it serves: a
     * test build adds its fault switches there; the shipped {@link #main} adds nothing.
     */
    public static void run(String[] argv, Consumer<SupervisorHost> extension) throws Exception {
        NodeArgs args = new NodeArgs(argv);
        Path cluster = Path.of(args.get("cluster")).toAbsolutePath();
        RpcSecret secret = RpcSecret.read(cluster);
        String id = args.get("id");
        Path root = cluster.resolve(id);
        Endpoint.requireNoOtherIncarnation(root, "Supervisor " + id + " of " + cluster);
        ModuleCode code = new ModuleCode(Catalogs.named(args.get("catalog")));
        CountingProvider provider = new CountingProvider(new ProviderLoader().load(args.get("provider")));
        BackupOptions options = BackupOptions.defaults().withChunkSize((int) args.getLong("chunk-size"))
                .withStoreSettings(args.storeSettings());

        JsonRpcClient rpc = new JsonRpcClient(secret);
        RemoteClusterView view = new RemoteClusterView(id, rpc);
        SupervisorHost host = new SupervisorHost(id, root, args.getLong("segment-bytes"), code, view);
        view.local(host);
        extension.accept(host);
        SupervisorWorker worker = new SupervisorWorker(host, provider, options);
        JsonRpcServer server = new JsonRpcServer(secret);
        server.export("supervisor", SupervisorChannel.class, host);
        server.export("worker", TaskWorker.class, worker);
        server.export("process", ProcessProbe.class, () -> new ProcessProbe.ProcessStats(id, ProcessHandle.current().pid(),
                provider.bytesWritten(), provider.objectsWritten(), provider.chunkBytesWritten(), server.bytesIn() + rpc.bytesIn(),
                server.bytesOut() + rpc.bytesOut()));
        Endpoint endpoint = new Endpoint(server.address().toString(), ProcessHandle.current().pid(), System.currentTimeMillis());
        endpoint.write(root);
        log.info("Supervisor {} (pid {}) serves at {}", id, endpoint.pid(), endpoint.url());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Endpoint.remove(root, endpoint.pid());
            host.close();
        }));

        Path conductorDir = cluster.resolve(ConductorProcess.NODE);
        ConductorChannel conductor = rpc.proxy(ConductorChannel.class, "conductor", "the Conductor",
                () -> Endpoint.read(conductorDir).orElseThrow(() -> new IllegalStateException("no Conductor is running"))
                        .uri(), m -> Duration.ofSeconds(30));
        boolean reported = false;
        // Which Conductor answers, and since when (this clock): a cut prepared before is an earlier one's.
        Endpoint conductorIncarnation = null;
        long conductorSince = 0;
        while (true) {
            long sentAt = System.currentTimeMillis();
            try {
                ConductorChannel.HeartbeatReply reply = conductor.heartbeat(new ConductorChannel.SupervisorStatus(id, endpoint,
                        worker.bytesHashed() + provider.activity()));
                view.update(reply);
                if (!java.util.Objects.equals(reply.conductor(), conductorIncarnation)) {
                    conductorIncarnation = reply.conductor();
                    conductorSince = sentAt;
                }
                host.keepOnly(reply.cluster().liveCuts(), reply.cluster().restoringModules(), sentAt, conductorSince);
                if (!reported) {
                    log.info("Supervisor {} reported to the Conductor; supervisors: {}", id,
                            reply.supervisors().keySet().stream().sorted().collect(Collectors.joining(", ")));
                    reported = true;
                }
            } catch (RuntimeException e) {
                if (reported) {
                    log.warn("Supervisor {} cannot reach the Conductor: {}", id, e.getMessage());
                    reported = false;
                }
            }
            Thread.sleep(HEARTBEAT_MILLIS);
        }
    }
}
