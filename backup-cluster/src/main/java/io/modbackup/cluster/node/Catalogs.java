package io.modbackup.cluster.node;

import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SampleModules;
import java.util.List;

/**
 * The module code a multi-process cluster's nodes load by name, since code (the reducers of the
 * topologies) cannot travel as JSON: every node of one cluster is started with the same catalog name.
 */
public final class Catalogs {
    private Catalogs() {
    }

    /**
     * The catalog named {@code name}: {@code sample} (module A of 4 tasks, its next version, module B of 2) or
     * {@code scale-<n>} (module A of {@code n} tasks, module B of {@code n/4}, at least 1).
     *
     * @throws IllegalArgumentException for another name
     */
    public static List<ModuleDefinition> named(String name) {
        if (name.equals("sample")) {
            return SampleModules.allVersions();
        }
        if (name.startsWith("scale-")) {
            int tasks = Integer.parseInt(name.substring("scale-".length()));
            return List.of(SampleModules.moduleA(tasks), SampleModules.moduleB(Math.max(1, tasks / 4)));
        }
        throw new IllegalArgumentException("no module catalog named " + name + "; use sample or scale-<tasks>");
    }
}
