package io.modbackup.sim;

import io.modbackup.api.runtime.TopologyKind;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** The Conductor's running {@link MicrobatchCoordinator}s, one per microbatch topology of each running module. Thread-safe. */
final class MicrobatchCoordinators {
    private final SupervisorCalls calls;
    private final Map<String, MicrobatchCoordinator> running = new ConcurrentHashMap<>();

    MicrobatchCoordinators(SupervisorCalls calls) {
        this.calls = calls;
    }

    /** Starts a coordinator for each microbatch topology of {@code definition}, replacing any running one. */
    void start(String module, ModuleDefinition definition, Supplier<List<String>> hosts) {
        for (ModuleDefinition.Topology topology : definition.topologies()) {
            if (topology.kind() == TopologyKind.MICROBATCH) {
                MicrobatchCoordinator coordinator = new MicrobatchCoordinator(module, topology.name(), hosts, calls);
                MicrobatchCoordinator previous = running.put(module + "/" + topology.name(), coordinator);
                if (previous != null) {
                    previous.stop();
                }
                coordinator.start();
            }
        }
    }

    /** Stops the module's coordinators, each after its batch in flight. */
    void stop(String module) {
        for (String key : List.copyOf(running.keySet())) {
            if (key.startsWith(module + "/")) {
                running.remove(key).stop();
            }
        }
    }

    /** The module's coordinators, in topology order. */
    List<MicrobatchCoordinator> of(String module) {
        return running.entrySet().stream().filter(e -> e.getKey().startsWith(module + "/"))
                .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).toList();
    }

    /** Ends every idle coordinator's wait: new work may have arrived. */
    void wakeAll() {
        running.values().forEach(MicrobatchCoordinator::wake);
    }

    void stopAll() {
        for (String key : List.copyOf(running.keySet())) {
            running.remove(key).stop();
        }
    }
}
