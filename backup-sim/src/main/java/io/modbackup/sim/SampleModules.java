package io.modbackup.sim;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.ObjectKind;
import io.modbackup.api.runtime.ObjectRef;
import io.modbackup.api.runtime.TopologyKind;
import java.util.List;
import java.util.Map;

/**
 * Two modules shaped like Rama's example: module B's topology {@code core} subscribes to module A's
 * depot {@code *events}, and B depends on A's PState {@code $$totals}.
 */
public final class SampleModules {
    public static final String MODULE_A = "com.mycompany.ModuleA";
    public static final String MODULE_B = "com.mycompany.ModuleB";

    private SampleModules() {
    }

    /**
     * Every version of the sample modules' code a cluster should be able to run: modules A and B, and
     * A's next version (so a cluster opened on state A was updated to, or a jar a backup holds, runs).
     */
    public static List<ModuleDefinition> allVersions() {
        return List.of(moduleA(), moduleB(), moduleAVersion2());
    }

    /**
     * Module A, 4 tasks: depot {@code *events}; microbatch {@code counts} building {@code $$totals}
     * (sum) and {@code $$latest} (last entry, the bulk of the bytes); stream {@code audit} building
     * {@code $$eventCount}.
     */
    public static ModuleDefinition moduleA() {
        return moduleA(4);
    }

    /** Module A with {@code tasks} tasks. */
    public static ModuleDefinition moduleA(int tasks) {
        return new ModuleDefinition(MODULE_A, tasks, List.of("*events"),
                List.of(new ModuleDefinition.Topology("counts", TopologyKind.MICROBATCH,
                                List.of(new DepotRef(MODULE_A, "*events")),
                                Map.of("$$totals", Reducer.SUM, "$$latest", Reducer.LAST)),
                        new ModuleDefinition.Topology("audit", TopologyKind.STREAM,
                                List.of(new DepotRef(MODULE_A, "*events")),
                                Map.of("$$eventCount", Reducer.COUNT))),
                List.of(),
                Map.of("topology.microbatch.max.batch", "200"),
                Map.of("backup.period.seconds", "0"));
    }

    /**
     * Module A's next version, as a module update deploys it: the same depots and PStates, other topology
     * code ({@code $$totals} becomes the largest amount instead of the sum) and other config overrides
     * (smaller microbatches, and a {@code sample.version} of 2).
     */
    public static ModuleDefinition moduleAVersion2() {
        ModuleDefinition a = moduleA();
        List<ModuleDefinition.Topology> topologies = a.topologies().stream().map(t -> {
            Map<String, Reducer> pstates = new java.util.TreeMap<>();
            t.pstates().forEach((name, reducer) -> pstates.put(name, reducer == Reducer.SUM ? Reducer.MAX : reducer));
            return new ModuleDefinition.Topology(t.name(), t.kind(), t.subscriptions(), pstates);
        }).toList();
        return new ModuleDefinition(a.name(), a.taskCount(), a.depots(), topologies, a.dependencies(),
                Map.of("topology.microbatch.max.batch", "50", "sample.version", "2"), a.dynamicOptions());
    }

    /**
     * Module B, 2 tasks: depot {@code *clicks}; microbatch {@code core} subscribing to A's
     * {@code *events} and building {@code $$maxAmount}; stream {@code clicks} building
     * {@code $$clickCount}; depends on A's PState {@code $$totals}.
     */
    public static ModuleDefinition moduleB() {
        return moduleB(2);
    }

    /** Module B with {@code tasks} tasks. */
    public static ModuleDefinition moduleB(int tasks) {
        return new ModuleDefinition(MODULE_B, tasks, List.of("*clicks"),
                List.of(new ModuleDefinition.Topology("core", TopologyKind.MICROBATCH,
                                List.of(new DepotRef(MODULE_A, "*events")),
                                Map.of("$$maxAmount", Reducer.MAX)),
                        new ModuleDefinition.Topology("clicks", TopologyKind.STREAM,
                                List.of(new DepotRef(MODULE_B, "*clicks")),
                                Map.of("$$clickCount", Reducer.COUNT))),
                List.of(new ObjectRef(MODULE_A, ObjectKind.PSTATE, "$$totals")),
                Map.of(),
                Map.of());
    }
}
