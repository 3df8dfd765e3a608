package io.modbackup.cluster.node;

import io.modbackup.cluster.node.ConductorChannel.SupervisorStatus;
import io.modbackup.cluster.rpc.JsonRpcClient;
import io.modbackup.core.engine.TaskWorker;
import io.modbackup.sim.SupervisorChannel;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The Conductor's side of its Supervisors: the address each last reported, which incarnations joined (host
 * their tasks), and the JSON-RPC proxies that reach each one's channel and task worker at that address,
 * every call watched by {@link SupervisorLiveness} so that a Supervisor that dies or hangs fails it.
 * Thread-safe: heartbeats, the runtime's calls and the engine's tasks arrive on any thread.
 */
final class SupervisorDirectory {
    private final JsonRpcClient rpc;
    private final Duration callDeadline;
    private final Duration taskBackstop;
    private final SupervisorLiveness liveness;
    private final BiConsumer<String, String> stagingStarted;
    private final Map<String, Endpoint> reported = new ConcurrentHashMap<>();
    /** Supervisors whose current incarnation hosts its tasks. */
    private final Map<String, Endpoint> joined = new ConcurrentHashMap<>();
    private final Map<String, SupervisorChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, TaskWorker> workers = new ConcurrentHashMap<>();

    /**
     * @param callDeadline   the deadline of each call on a Supervisor's channel
     * @param taskBackstop   the deadline of a task's call, a backstop: liveness bounds a task that stopped
     * @param stagingStarted told (module, restore ID) before a restore's task goes to a worker
     */
    SupervisorDirectory(JsonRpcClient rpc, Duration callDeadline, Duration taskBackstop, SupervisorLiveness liveness,
                        BiConsumer<String, String> stagingStarted) {
        this.rpc = rpc;
        this.callDeadline = callDeadline;
        this.taskBackstop = taskBackstop;
        this.liveness = liveness;
        this.stagingStarted = stagingStarted;
    }

    /** The channel of Supervisor {@code id}, at the address it last reported. */
    SupervisorChannel channel(String id) {
        return channels.computeIfAbsent(id, s -> rpc.proxy(SupervisorChannel.class, "supervisor", "Supervisor " + s,
                () -> address(s).uri(), m -> callDeadline,
                (m, call) -> liveness.watch(s, SupervisorLiveness.CallKind.CALL, call)));
    }

    /** The task worker of Supervisor {@code id}; a restore's task there first tells who keeps its staging. */
    TaskWorker worker(String id) {
        return workers.computeIfAbsent(id, s -> {
            // A task's call waits as long as the task moves bytes: the liveness tracker fails it otherwise.
            TaskWorker remote = rpc.proxy(TaskWorker.class, "worker", "the task worker of Supervisor " + s,
                    () -> address(s).uri(), m -> taskBackstop,
                    (m, call) -> liveness.watch(s, SupervisorLiveness.CallKind.TASK, call));
            return new TaskWorker() {
                @Override
                public CompletableFuture<TaskBackupResult> backupTask(TaskBackupRequest request) {
                    return remote.backupTask(request);
                }

                @Override
                public CompletableFuture<TaskRestoreResult> restoreTask(TaskRestoreRequest request) {
                    stagingStarted.accept(request.module(), request.restoreId());
                    return remote.restoreTask(request);
                }
            };
        });
    }

    private Endpoint address(String id) {
        Endpoint endpoint = reported.get(id);
        if (endpoint == null) {
            throw new IllegalStateException("Supervisor " + id + " has not reported to the Conductor");
        }
        return endpoint;
    }

    /** Records a Supervisor's report; true when it comes from an incarnation that has not joined yet. */
    boolean report(SupervisorStatus status) {
        liveness.heartbeat(status.id(), status.endpoint().pid(), status.bytesMoved());
        reported.put(status.id(), status.endpoint());
        return !status.endpoint().equals(joined.get(status.id()));
    }

    /** Marks the reporting incarnation of a Supervisor as hosting its tasks. */
    void joined(SupervisorStatus status) {
        joined.put(status.id(), status.endpoint());
    }

    /** Every Supervisor's last reported address. */
    Map<String, Endpoint> addresses() {
        return Map.copyOf(reported);
    }

    /** The Supervisors whose current incarnation joined, by ID. */
    Map<String, Endpoint> joinedSupervisors() {
        return new TreeMap<>(joined);
    }

    /** The Supervisors down, by ID, each with why. */
    Map<String, String> down() {
        Map<String, String> down = new TreeMap<>();
        liveness.states().forEach((id, reason) -> {
            if (!reason.isEmpty()) {
                down.put(id, reason);
            }
        });
        return down;
    }
}
