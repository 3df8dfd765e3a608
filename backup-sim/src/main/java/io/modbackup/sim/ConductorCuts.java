package io.modbackup.sim;

import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.sim.SupervisorChannel.PreparedCut;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Conductor's side of cuts: the two-phase cut with a deadline across the Supervisors hosting a
 * module, the set of cuts still in use (which the Supervisors keep pinned), and each module's latest
 * cut timing. Thread-safe.
 */
final class ConductorCuts {
    private static final Logger log = LoggerFactory.getLogger(ConductorCuts.class);

    private final SupervisorCalls calls;
    private final Duration deadline;
    private final Set<String> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong counter = new AtomicLong();
    private final Map<String, CutTiming> timings = new ConcurrentHashMap<>();

    ConductorCuts(SupervisorCalls calls, Duration deadline) {
        this.calls = calls;
        this.deadline = deadline;
    }

    /** The cuts in use: a Supervisor removes pins of any other. */
    Set<String> live() {
        return Set.copyOf(live);
    }

    Optional<CutTiming> lastTiming(String module) {
        return Optional.ofNullable(timings.get(module));
    }

    /**
     * Two phases under the deadline: the module's microbatch {@code coordinators} are held between
     * batches and every Supervisor of {@code hosts} pauses and checkpoints; then each captures its
     * depots, pins and resumes. Any Supervisor failing or late aborts the cut on all of them.
     *
     * @throws IllegalStateException naming the Supervisor, when the cut was aborted
     */
    CutDescriptor capture(ModuleDescriptor descriptor, List<String> hosts, List<MicrobatchCoordinator> coordinators) {
        String module = descriptor.name();
        String cutId = "cut-" + System.currentTimeMillis() + "-" + counter.incrementAndGet();
        live.add(cutId);
        List<MicrobatchCoordinator> held = new ArrayList<>();
        try {
            List<PreparedCut> prepared;
            long prepareStart = System.nanoTime();
            try {
                for (MicrobatchCoordinator coordinator : coordinators) {
                    if (!coordinator.lock(deadline)) {
                        throw new IllegalStateException("microbatch topology " + coordinator.topology() + " of " + module
                                + " did not reach a commit boundary within " + deadline.toMillis() + " ms"
                                + (coordinator.lastFailure() == null ? "" : ": " + coordinator.lastFailure()));
                    }
                    held.add(coordinator);
                }
                prepared = calls.all(hosts, (s, c) -> c.prepareCut(module, cutId, deadline.toMillis() * 2));
            } finally {
                held.forEach(MicrobatchCoordinator::unlock);
            }
            long preparedAt = System.nanoTime();
            Map<String, Long> commitIds = new TreeMap<>();
            prepared.forEach(p -> p.commitIds().forEach((t, id) -> TaskCapture.mergeCommitId(commitIds, t, id)));
            List<TaskCut> tasks = new ArrayList<>();
            calls.all(hosts, (s, c) -> c.completeCut(module, cutId)).forEach(tasks::addAll);
            tasks.sort(Comparator.comparingInt(TaskCut::task));
            long resumed = System.nanoTime();
            timings.put(module, new CutTiming(tasks.size(), hosts.size(), (preparedAt - prepareStart) / 1_000_000,
                    (resumed - prepareStart) / 1_000_000));
            long capturedAt = prepared.stream().mapToLong(PreparedCut::capturedAtMillis).min().orElse(System.currentTimeMillis());
            return new CutDescriptor(module, cutId, capturedAt, commitIds, descriptor, tasks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(module, cutId, hosts);
            throw new IllegalStateException("interrupted while capturing a cut of " + module, e);
        } catch (RuntimeException e) {
            abort(module, cutId, hosts);
            throw new IllegalStateException("cut of module " + module + " aborted on every Supervisor: " + e.getMessage(), e);
        }
    }

    /** Aborts a cut on every Supervisor without waiting; one that does not answer drops it on its own. */
    private void abort(String module, String cutId, List<String> hosts) {
        live.remove(cutId);
        calls.tell(hosts, c -> c.abortCut(module, cutId), (s, e) -> log.info(
                "Supervisor {} did not take the abort of cut {}; it drops the cut itself: {}", s, cutId, e.getMessage()));
    }

    /** Unpins a cut on {@code hosts}; one that does not answer drops it when it next reports. */
    void release(String module, String cutId, List<String> hosts) {
        live.remove(cutId);
        try {
            calls.all(hosts, (s, c) -> {
                c.releaseCut(module, cutId);
                return true;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.info("cut {} of {} not released everywhere now; the Supervisor drops it when it reports: {}", cutId,
                    module, e.getMessage());
        }
    }
}
