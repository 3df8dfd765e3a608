package io.modbackup.api.runtime;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a module is made of, as the runtime describes it to the engine and as a backup records it.
 *
 * @param name the module name, e.g. {@code com.mycompany.MyModule}
 * @param taskCount number of tasks (partitions); every depot and PState has one partition per task
 * @param depots the module's depots
 * @param topologies the module's topologies with their depot subscriptions
 * @param pstates the module's PStates with their owning topology
 * @param dependencies objects of other modules that this module needs (a restore of those modules
 *     must keep them)
 * @param jarName file name of the module jar
 * @param configOverrides config overrides given at launch
 * @param dynamicOptions dynamic options in force, changeable while running
 * @param running whether the module is running
 * @param parallelism how the module is deployed
 */
public record ModuleDescriptor(String name, int taskCount, List<DepotSpec> depots, List<TopologySpec> topologies,
                               List<PStateSpec> pstates, List<ObjectRef> dependencies, String jarName,
                               Map<String, String> configOverrides, Map<String, String> dynamicOptions,
                               boolean running, Parallelism parallelism) {
    public ModuleDescriptor {
        Objects.requireNonNull(name, "name");
        if (taskCount < 1) {
            throw new IllegalArgumentException("module " + name + ": taskCount must be at least 1, got " + taskCount);
        }
        depots = List.copyOf(depots);
        topologies = List.copyOf(topologies);
        pstates = List.copyOf(pstates);
        dependencies = List.copyOf(dependencies);
        configOverrides = Map.copyOf(configOverrides);
        dynamicOptions = Map.copyOf(dynamicOptions);
        Objects.requireNonNull(parallelism, "parallelism");
    }

    /** The topology named {@code topology}, if the module has it. */
    public Optional<TopologySpec> topology(String topology) {
        return topologies.stream().filter(t -> t.name().equals(topology)).findFirst();
    }

    /** Whether the module has the object {@code kind}/{@code objectName}. */
    public boolean hasObject(ObjectKind kind, String objectName) {
        return switch (kind) {
            case DEPOT -> depots.stream().anyMatch(d -> d.name().equals(objectName));
            case PSTATE -> pstates.stream().anyMatch(p -> p.name().equals(objectName));
            case TOPOLOGY -> topologies.stream().anyMatch(t -> t.name().equals(objectName));
        };
    }

    /** This descriptor with {@code running} and {@code parallelism} replaced. */
    public ModuleDescriptor withDeployment(boolean isRunning, Parallelism newParallelism) {
        return new ModuleDescriptor(name, taskCount, depots, topologies, pstates, dependencies, jarName,
                configOverrides, dynamicOptions, isRunning, newParallelism);
    }

    /** This descriptor with {@code dynamicOptions} replaced. */
    public ModuleDescriptor withDynamicOptions(Map<String, String> options) {
        return new ModuleDescriptor(name, taskCount, depots, topologies, pstates, dependencies, jarName,
                configOverrides, options, running, parallelism);
    }
}
