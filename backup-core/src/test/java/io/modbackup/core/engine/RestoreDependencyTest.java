package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static io.modbackup.core.engine.EngineFixture.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modbackup.api.runtime.DepotRef;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.ObjectKind;
import io.modbackup.api.runtime.ObjectRef;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.Reducer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A restore of module A to a backup that lacks an object another module needs is refused in one line
 * naming both, with live state untouched: a PState and a topology another module declares it depends
 * on, and a depot another module's topology subscribes to (B's {@code core} reads A's {@code *events}).
 */
class RestoreDependencyTest {
    /** A module that declares a dependency on module A's topology {@code counts}. */
    static final String C = "com.mycompany.ModuleC";

    @TempDir
    Path dir;
    EngineFixture f;

    @BeforeEach
    void setUp() {
        f = new EngineFixture(dir);
        f.cluster.deploy(new ModuleDefinition(C, 1, List.of("*c"),
                List.of(new ModuleDefinition.Topology("c", TopologyKind.STREAM, List.of(new DepotRef(C, "*c")),
                        Map.of("$$c", Reducer.COUNT))),
                List.of(new ObjectRef(A, ObjectKind.TOPOLOGY, "counts")), Map.of(), Map.of()), new Parallelism(1, 1, 1));
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    static Stream<Arguments> lacking() {
        return Stream.of(
                Arguments.of("pstate", (UnaryOperator<ModuleDescriptor>) d -> with(d, d.depots(), d.topologies(),
                        d.pstates().stream().filter(p -> !p.name().equals("$$totals")).toList()),
                        "module " + B + " depends on pstate $$totals of module " + A + ", which that backup does not have"),
                Arguments.of("depot", (UnaryOperator<ModuleDescriptor>) d -> with(d,
                        d.depots().stream().filter(depot -> !depot.name().equals("*events")).toList(), d.topologies(), d.pstates()),
                        "topology core of module " + B + " subscribes to depot *events of module " + A
                                + ", which that backup does not have"),
                Arguments.of("topology", (UnaryOperator<ModuleDescriptor>) d -> with(d, d.depots(),
                        d.topologies().stream().filter(t -> !t.name().equals("counts")).toList(), d.pstates()),
                        "module " + C + " depends on topology counts of module " + A + ", which that backup does not have"));
    }

    private static ModuleDescriptor with(ModuleDescriptor d, List<io.modbackup.api.runtime.DepotSpec> depots,
                                         List<io.modbackup.api.runtime.TopologySpec> topologies,
                                         List<io.modbackup.api.runtime.PStateSpec> pstates) {
        return new ModuleDescriptor(d.name(), d.taskCount(), depots, topologies, pstates, d.dependencies(), d.jarName(),
                d.configOverrides(), d.dynamicOptions(), d.running(), d.parallelism());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lacking")
    void aRestoreThatTakesAwayWhatAnotherModuleNeedsIsRefused(String object, UnaryOperator<ModuleDescriptor> without,
                                                              String expected) throws Exception {
        f.write(300);
        ModuleManifest manifest = f.engine.backup(A);
        BackupId id = f.storeWithDescriptor(manifest, without.apply(manifest.descriptor()));
        EngineFixture.LiveState before = f.live();
        BackupException refused = assertThrows(BackupException.class, () -> f.engine.restore(id.toString()));
        assertEquals(BackupException.Problem.RESTORE_BREAKS_DEPENDENCY, refused.problem());
        assertEquals("restore of " + id + " refused: " + expected + "; choose a backup that has it or update module "
                + (object.equals("topology") ? C : B) + " first", refused.getMessage());
        f.assertUntouched(before);
        f.restoreChecked(manifest.backupId());
    }
}
