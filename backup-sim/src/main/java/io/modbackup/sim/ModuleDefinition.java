package io.modbackup.sim;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.ObjectRef;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.PathSegment;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.api.runtime.TopologySpec;
import java.util.List;
import java.util.Map;

/**
 * The code of a simulated module, which a real module's jar would carry: its depots, its topologies
 * with the reducers that build their PStates, its dependencies and its config.
 *
 * @param name the module name
 * @param taskCount tasks (partitions)
 * @param depots depot names, e.g. {@code *events}
 * @param topologies the topologies
 * @param dependencies objects of other modules this module needs
 * @param configOverrides config overrides given at launch
 * @param dynamicOptions initial dynamic options
 */
public record ModuleDefinition(String name, int taskCount, List<String> depots, List<Topology> topologies,
                               List<ObjectRef> dependencies, Map<String, String> configOverrides,
                               Map<String, String> dynamicOptions) {

    public ModuleDefinition {
        // Each name becomes a directory: state/<module>/task-N/depots/<depot>, pstates/<topology>.
        PathSegment.check("module name", name);
        depots.forEach(depot -> PathSegment.check("depot name", depot));
        depots = List.copyOf(depots);
        topologies = List.copyOf(topologies);
        dependencies = List.copyOf(dependencies);
        configOverrides = Map.copyOf(configOverrides);
        dynamicOptions = Map.copyOf(dynamicOptions);
    }

    /**
     * A topology: it processes entries of its subscribed depots (offset order per partition) and
     * folds each into every one of its PStates.
     */
    public record Topology(String name, TopologyKind kind, List<DepotRef> subscriptions, Map<String, Reducer> pstates) {
        public Topology {
            PathSegment.check("topology name", name);
            subscriptions = List.copyOf(subscriptions);
            pstates = Map.copyOf(pstates);
        }

        /** The PState names, sorted, so every task opens them in the same order. */
        public List<String> pstateNames() {
            return pstates.keySet().stream().sorted().toList();
        }
    }

    /** The topology named {@code topology}. */
    public Topology topology(String topology) {
        return topologies.stream().filter(t -> t.name().equals(topology)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("module " + name + " has no topology " + topology));
    }

    /** The runtime's description of this module deployed with {@code parallelism}. */
    public ModuleDescriptor describe(boolean running, Parallelism parallelism, Map<String, String> currentDynamicOptions) {
        return new ModuleDescriptor(name, taskCount,
                depots.stream().map(DepotSpec::new).toList(),
                topologies.stream().map(t -> new TopologySpec(t.name(), t.kind(), t.subscriptions())).toList(),
                topologies.stream().flatMap(t -> t.pstateNames().stream().map(p -> new PStateSpec(p, t.name()))).toList(),
                dependencies, jarName(), configOverrides, currentDynamicOptions, running, parallelism);
    }

    /**
     * This code as text that is the same in every JVM (a record's {@code toString} is not: the order of
     * an immutable map's entries varies between JVMs): what a simulated jar carries, and what identifies
     * a version of module code across processes.
     */
    public String canonicalText() {
        StringBuilder text = new StringBuilder("module ").append(name).append('\n')
                .append("tasks ").append(taskCount).append('\n')
                .append("depots ").append(depots).append('\n');
        for (Topology topology : topologies) {
            text.append("topology ").append(topology.name()).append(' ').append(topology.kind())
                    .append(" subscribes ").append(topology.subscriptions())
                    .append(" pstates ").append(new java.util.TreeMap<>(topology.pstates())).append('\n');
        }
        return text.append("dependencies ").append(dependencies).append('\n')
                .append("config ").append(new java.util.TreeMap<>(configOverrides)).append('\n')
                .append("options ").append(new java.util.TreeMap<>(dynamicOptions)).append('\n')
                .toString();
    }

    /** This code with {@code overrides} as its config overrides, as a module launched with them runs. */
    public ModuleDefinition withConfigOverrides(Map<String, String> overrides) {
        return new ModuleDefinition(name, taskCount, depots, topologies, dependencies, overrides, dynamicOptions);
    }

    /** File name of the module's jar. */
    public String jarName() {
        return name + ".jar";
    }

    /**
     * The depot partitions of a subscribed depot that task {@code task} of this module processes:
     * partition {@code p} of a depot with {@code depotTasks} partitions goes to task
     * {@code p % taskCount}.
     */
    public List<Integer> partitionsFor(int task, int depotTasks) {
        return java.util.stream.IntStream.range(0, depotTasks).filter(p -> p % taskCount == task).boxed().toList();
    }
}
