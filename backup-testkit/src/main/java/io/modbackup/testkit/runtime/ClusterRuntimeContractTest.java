package io.modbackup.testkit.runtime;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.api.runtime.TopologyKind;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.sim.ModuleDefinition;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.WorkloadEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link ClusterRuntime} contract as a JUnit 5 suite, for the authors of a host that embeds our
 * coordinator in its Conductor and our worker in its Supervisors. Extend it with one factory method:
 *
 * <pre>{@code
 * class MyRuntimeContractTest extends ClusterRuntimeContractTest {
 *     protected RuntimeHarness openHarness(Path root) { return new MyClusterHarness(root); }
 * }
 * }</pre>
 *
 * Each test is one property the engine relies on, and a failure names it ({@link Property}). The suite
 * uses the SPI the way the engine does, without a store in between: it captures cuts while a writer
 * appends, copies the pinned files into the staging directories the Supervisors hand out, and installs
 * them; then it checks the restored module against a replay of its depots with the module's
 * {@link ModuleDefinition} as the model. The modules are our sample modules A and B unless the
 * subclass gives its own through {@link #moduleA()}, {@link #moduleB()} and {@link #moduleAVersion2()}.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
public abstract class ClusterRuntimeContractTest {

    /** The properties, as failures name them. */
    public enum Property {
        CUT_AT_ONE_COMMIT_ID("microbatch partitions are captured at one commit ID"),
        CUT_DEPOTS_AFTER_PSTATES("processed offsets are at or below the captured depot ends"),
        CUT_REPLAYS("restored PStates equal replaying the restored depots"),
        PINS_STAY_STABLE("pinned files stay byte-identical and readable until released"),
        RELEASE_UNPINS("releaseCut unpins and is idempotent"),
        CRASH_LEAVES_NOTHING("a cut or staging abandoned by a crash is gone after restart"),
        INSTALL_IS_ATOMIC("installRestore is atomic across a crash at each step"),
        MARKER_RECORDED("a restore records its restore marker"),
        DEPENDENTS_RECALIBRATE("a dependent recalibrates when its depot's module is restored"),
        RESTORED_DEPENDENT_RECALIBRATES("a restored dependent recalibrates to its depot's module"),
        PLACEMENT_HONOURED("placeRestore honours threads, workers and replication factor"),
        DESCRIBE_ROUND_TRIPS("describe round-trips jar, config overrides and dynamic options"),
        RESTORED_CODE_RUNS("a restored module runs the restored jar and config");

        private final String text;

        Property(String text) {
            this.text = text;
        }

        /** The property in words. */
        public String text() {
            return text;
        }
    }

    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    private static final Parallelism DEPLOYED = new Parallelism(4, 3, 1);

    @TempDir
    Path dir;
    /** The harness of the current test. */
    protected RuntimeHarness harness;
    private final AtomicLong restores = new AtomicLong();

    /**
     * A new test cluster under {@code root} (empty), of one Conductor and at least three Supervisors,
     * with no module deployed.
     */
    protected abstract RuntimeHarness openHarness(Path root) throws Exception;

    /** A module with a depot, a microbatch and a stream topology subscribing to it; 4 tasks or more. */
    protected ModuleDefinition moduleA() {
        return SampleModules.moduleA();
    }

    /** A module whose microbatch topology subscribes to {@link #moduleA()}'s first depot. */
    protected ModuleDefinition moduleB() {
        return SampleModules.moduleB();
    }

    /**
     * {@link #moduleA()}'s next version: the same name, tasks, depots and PStates, other topology code
     * and other config overrides.
     */
    protected ModuleDefinition moduleAVersion2() {
        return SampleModules.moduleAVersion2();
    }

    @BeforeEach
    void openTheHarness() throws Exception {
        harness = openHarness(dir.resolve("cluster"));
        if (harness.supervisorCount() < 3) {
            throw new IllegalStateException("the suite needs a cluster of at least three Supervisors, the harness has "
                    + harness.supervisorCount());
        }
    }

    @AfterEach
    void closeTheHarness() {
        if (harness != null) {
            harness.close();
        }
    }

    // ------------------------------------------------------------------ captures

    @Test
    void capturesUnderConcurrentWritesAreAtOneCommitIdWithDepotsAfterPStatesAndReplayWhenRestored() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 400);
        CutDescriptor kept = null;
        try (Writer writer = new Writer(a.name(), 11)) {
            for (int i = 0; i < 6; i++) {
                writer.awaitMore(150);
                CutDescriptor cut = runtime().captureCut(a.name());
                checkCommitIds(cut);
                checkDepotsAfterPStates(cut);
                if (kept != null) {
                    runtime().releaseCut(a.name(), kept.cutId());
                }
                kept = cut;
            }
        }
        HeldCut held = hold(kept);
        runtime().releaseCut(a.name(), kept.cutId());
        install(held, null);
        awaitCaughtUp(a.name());
        checkRestoredEnds(held);
        checkReplay(a, Property.CUT_REPLAYS, "a cut taken under concurrent writes, restored");
    }

    @Test
    void pinnedFilesStayByteIdenticalWhileTheRuntimeWritesAndCompactsUntilReleased() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 1500);
        awaitCaughtUp(a.name());
        CutDescriptor cut = runtime().captureCut(a.name());
        Map<String, String> pinned = fingerprints(cut);
        write(a.name(), 6000);
        awaitCaughtUp(a.name());
        Map<String, String> later = fingerprints(cut);
        for (Map.Entry<String, String> file : pinned.entrySet()) {
            if (!file.getValue().equals(later.get(file.getKey()))) {
                throw violated(Property.PINS_STAY_STABLE, "pinned file " + file.getKey() + " of cut " + cut.cutId()
                        + " changed while the runtime wrote 6,000 entries (" + file.getValue() + " then " + later.get(file.getKey())
                        + ")");
            }
        }
        runtime().releaseCut(a.name(), cut.cutId());
        runtime().releaseCut(a.name(), cut.cutId());
        for (TaskCut task : cut.tasks()) {
            try {
                List<CapturedFile> files = runtime().supervisor(task.supervisorId()).cutFiles(a.name(), cut.cutId(), task.task());
                throw violated(Property.RELEASE_UNPINS, "after releaseCut, Supervisor " + task.supervisorId() + " still serves "
                        + files.size() + " files of cut " + cut.cutId() + " for task " + task.task());
            } catch (IllegalArgumentException expected) {
                // released
            }
        }
    }

    /**
     * A pin holds whatever replaces the files it names: here a restore installed over every task while a cut
     * is live (a runtime that pins by reference, not by copying or linking each file, keeps the replaced state
     * until the cut is released).
     */
    @Test
    void pinnedFilesStayByteIdenticalWhenARestoreReplacesTheirTasksUntilReleased() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 800);
        awaitCaughtUp(a.name());
        HeldCut earlier = holdAndRelease(runtime().captureCut(a.name()));
        write(a.name(), 1600);
        awaitCaughtUp(a.name());
        checkPinHoldsThrough(a.name(), "a restore replaced its task's state", () -> {
            install(earlier, null);
            awaitCaughtUp(a.name());
        });
    }

    /**
     * A pin holds through a module update while a cut is live: the runtime closes and reopens the tasks'
     * stores, and RocksDB deletes the files it no longer needs as it opens (a runtime that pins by holding
     * RocksDB's file deletions, not by linking each SST, must keep what it pinned before a store closes).
     */
    @Test
    void pinnedFilesStayByteIdenticalThroughAModuleUpdateUntilReleased() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 1500);
        awaitCaughtUp(a.name());
        checkPinHoldsThrough(a.name(), "a module update reopened its task's stores and 6,000 entries were written", () -> {
            harness.update(moduleAVersion2());
            write(a.name(), 6000);
            awaitCaughtUp(a.name());
        });
    }

    /** Work that may change the module's state around a live cut. */
    private interface Change {
        void run() throws Exception;
    }

    /** Captures a cut of {@code module}, runs {@code change}, and checks the cut's files read as they did; releases it. */
    private void checkPinHoldsThrough(String module, String change, Change work) throws Exception {
        CutDescriptor cut = runtime().captureCut(module);
        Map<String, String> pinned = fingerprints(cut);
        work.run();
        Map<String, String> later;
        try {
            later = fingerprints(cut);
        } catch (java.io.UncheckedIOException e) {
            throw violated(Property.PINS_STAY_STABLE, "a pinned file of cut " + cut.cutId() + " could not be read after "
                    + change + ": " + e.getMessage());
        }
        if (!pinned.equals(later)) {
            throw violated(Property.PINS_STAY_STABLE, "pinned files of cut " + cut.cutId() + " changed after " + change);
        }
        runtime().releaseCut(module, cut.cutId());
    }

    @Test
    void aCutAndAStagedRestoreAbandonedByACrashAreGoneAfterRestart() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 1000);
        awaitCaughtUp(a.name());
        CutDescriptor cut = runtime().captureCut(a.name());
        Map<Integer, String> placement = runtime().placeRestore(cut.descriptor(), null);
        List<Path> staging = new ArrayList<>();
        for (TaskCut task : cut.tasks()) {
            staging.add(runtime().supervisor(placement.get(task.task())).stagingDirectory(a.name(), "abandoned", task.task()));
        }
        CutStaging.stage(runtime(), cut, placement, "abandoned");
        harness.crashAndRestart();
        for (TaskCut task : cut.tasks()) {
            try {
                runtime().supervisor(task.supervisorId()).cutFiles(a.name(), cut.cutId(), task.task());
                throw violated(Property.CRASH_LEAVES_NOTHING, "after a crash and restart, Supervisor " + task.supervisorId()
                        + " still holds cut " + cut.cutId() + " of task " + task.task());
            } catch (IllegalArgumentException expected) {
                // discarded on restart
            }
        }
        for (Path left : staging) {
            if (Files.exists(left)) {
                throw violated(Property.CRASH_LEAVES_NOTHING, "staging directory " + left + " of a restore that never"
                        + " reached installRestore survived the restart");
            }
        }
        write(a.name(), 200);
        awaitCaughtUp(a.name());
        checkReplay(a, Property.CRASH_LEAVES_NOTHING, "the module after the restart");
    }

    // ------------------------------------------------------------------ install

    @Test
    void installRestoreIsAtomicAcrossACrashAtEachStep() throws Exception {
        checkInstallIsAtomic(installStepsToCrashAt());
    }

    /**
     * The install steps {@link #installRestoreIsAtomicAcrossACrashAtEachStep} crashes at: every one. A harness
     * whose crash and restart are slow (real processes) may crash at a sample of them that includes the
     * first, and at every one in a longer test of its own that calls {@link #checkInstallIsAtomic}.
     */
    protected java.util.function.IntPredicate installStepsToCrashAt() {
        return step -> true;
    }

    /** Crashes the install at each step {@code crashAt} accepts, until one finishes, checking it is atomic each time. */
    protected final void checkInstallIsAtomic(java.util.function.IntPredicate crashAt) throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, DEPLOYED);
        write(a.name(), 1200);
        awaitCaughtUp(a.name());
        CutDescriptor cut = runtime().captureCut(a.name());
        HeldCut held = hold(cut);
        runtime().releaseCut(a.name(), cut.cutId());
        String depot = a.depots().get(0);
        int crashes = 0;
        for (int step = 1; ; step++) {
            if (step > 64) {
                throw violated(Property.INSTALL_IS_ATOMIC, "installRestore still crashed at step 64; the harness's"
                        + " crashAtInstallStep never lets an install finish");
            }
            if (!crashAt.test(step)) {
                continue;
            }
            write(a.name(), 400);
            awaitCaughtUp(a.name());
            List<Long> before = ends(a.name(), depot, a.taskCount());
            long epochBefore = epoch(a.name());
            RuntimeHarness.CrashPoint crash = harness.crashAtInstallStep(step);
            try {
                install(held, null);
            } catch (RuntimeException | Error e) {
                if (!crash.fired()) {
                    throw e;
                }
            }
            if (!crash.fired()) {
                checkRestoredEnds(held);
                break;
            }
            crashes++;
            harness.crashAndRestart();
            List<Long> after = ends(a.name(), depot, a.taskCount());
            List<Long> restored = held.ends(depot);
            if (after.equals(restored)) {
                if (epoch(a.name()) != epochBefore + 1) {
                    throw violated(Property.INSTALL_IS_ATOMIC, "after a crash at install step " + step + " the state is the"
                            + " restored one but the restore marker's epoch is " + epoch(a.name()) + ", not " + (epochBefore + 1));
                }
            } else if (after.equals(before)) {
                if (epoch(a.name()) != epochBefore) {
                    throw violated(Property.INSTALL_IS_ATOMIC, "after a crash at install step " + step + " the state is the"
                            + " old one but the restore marker moved to epoch " + epoch(a.name()));
                }
            } else {
                throw violated(Property.INSTALL_IS_ATOMIC, "after a crash at install step " + step + " depot " + depot
                        + " ends at " + after + ": neither the old " + before + " nor the restored " + restored
                        + " everywhere, a mix of both");
            }
            awaitCaughtUp(a.name());
            checkReplay(a, Property.INSTALL_IS_ATOMIC, "the module after a crash at install step " + step);
        }
        if (crashes == 0) {
            throw violated(Property.INSTALL_IS_ATOMIC, "crashAtInstallStep(1) never fired: the harness cannot crash an install");
        }
        awaitCaughtUp(a.name());
        checkReplay(a, Property.INSTALL_IS_ATOMIC, "the module after the install that finished");
    }

    @Test
    void aRestoreRecordsItsMarkerAndDependentsRecalibrateInBothDirections() throws Exception {
        ModuleDefinition a = moduleA();
        ModuleDefinition b = moduleB();
        String depot = b.topologies().stream().filter(t -> t.kind() == TopologyKind.MICROBATCH).findFirst().orElseThrow()
                .subscriptions().get(0).depot();
        harness.deploy(a, DEPLOYED);
        harness.deploy(b, new Parallelism(b.taskCount(), 2, 1));
        write(a.name(), 1500);
        awaitCaughtUp(a.name());
        awaitCaughtUp(b.name());
        HeldCut heldA = holdAndRelease(runtime().captureCut(a.name()));
        write(a.name(), 3000);
        awaitCaughtUp(a.name());
        awaitCaughtUp(b.name());
        HeldCut heldB = holdAndRelease(runtime().captureCut(b.name()));

        long epochBefore = epoch(a.name());
        RestoreMarker marker = install(heldA, null);
        Optional<RestoreMarker> recorded = runtime().restoreMarker(a.name());
        if (marker.epoch() != epochBefore + 1 || !marker.backupId().equals(heldA.backupId())
                || !heldA.ends(depot).equals(marker.depotEndOffsets().get(depot)) || !recorded.equals(Optional.of(marker))) {
            throw violated(Property.MARKER_RECORDED, "installRestore of " + heldA.backupId() + " at epoch " + epochBefore
                    + " returned " + marker + " and the runtime reports " + recorded + "; expected epoch " + (epochBefore + 1)
                    + " with depot " + depot + " ending at " + heldA.ends(depot));
        }
        List<String> fresh = writeFresh(a.name(), depot, "fresh-a-", 300);
        awaitCaughtUp(a.name());
        awaitCaughtUp(b.name());
        checkFreshKeys(b, fresh, Property.DEPENDENTS_RECALIBRATE, "module " + b.name() + " after " + a.name()
                + " was restored to an earlier end");

        install(heldB, null);
        List<String> fresher = writeFresh(a.name(), depot, "fresh-b-", 300);
        awaitCaughtUp(a.name());
        awaitCaughtUp(b.name());
        List<String> both = new ArrayList<>(fresh);
        both.addAll(fresher);
        checkFreshKeys(b, both, Property.RESTORED_DEPENDENT_RECALIBRATES, "module " + b.name() + " restored to a backup"
                + " whose offsets in " + a.name() + " are past that module's restored end");
    }

    @Test
    void placeRestoreHonoursThreadsWorkersAndReplicationFactor() throws Exception {
        ModuleDefinition a = moduleA();
        harness.deploy(a, new Parallelism(a.taskCount(), 1, 1));
        write(a.name(), 800);
        awaitCaughtUp(a.name());
        HeldCut held = holdAndRelease(runtime().captureCut(a.name()));
        Parallelism wanted = new Parallelism(a.taskCount(), 3, 2);
        Map<Integer, String> placement = runtime().placeRestore(held.cut().descriptor(), wanted);
        Set<Integer> tasks = new HashSet<>();
        for (int t = 0; t < a.taskCount(); t++) {
            tasks.add(t);
        }
        if (!placement.keySet().equals(tasks) || new HashSet<>(placement.values()).size() != wanted.workers()) {
            throw violated(Property.PLACEMENT_HONOURED, "placeRestore for " + wanted + " placed the " + a.taskCount()
                    + " tasks as " + placement + ": every task once, on exactly " + wanted.workers() + " Supervisors");
        }
        install(held, wanted, placement);
        ModuleDescriptor described = runtime().describe(a.name()).orElseThrow();
        if (!described.parallelism().equals(wanted) || !described.running()) {
            throw violated(Property.PLACEMENT_HONOURED, "after a restore with " + wanted + " the module is described as "
                    + described.parallelism() + (described.running() ? "" : ", not running"));
        }
        Map<Integer, List<String>> replicas = harness.replicas(a.name());
        for (int t = 0; t < a.taskCount(); t++) {
            List<String> holders = replicas.getOrDefault(t, List.of());
            if (holders.size() != wanted.replicationFactor() || new HashSet<>(holders).size() != holders.size()
                    || !holders.get(0).equals(placement.get(t)) || !placement.values().containsAll(holders)) {
                throw violated(Property.PLACEMENT_HONOURED, "task " + t + " is replicated on " + holders + "; with "
                        + wanted + " it needs " + wanted.replicationFactor() + " distinct Supervisors among the module's"
                        + " workers " + new HashSet<>(placement.values()) + ", its leader " + placement.get(t) + " first");
            }
        }
        write(a.name(), 300);
        awaitCaughtUp(a.name());
        checkReplay(a, Property.PLACEMENT_HONOURED, "the module restored with " + wanted);
    }

    // ------------------------------------------------------------------ describe and module updates

    @Test
    void describeRoundTripsJarConfigAndOptionsAndARestoredModuleRunsTheRestoredCode() throws Exception {
        ModuleDefinition a = moduleA();
        ModuleDefinition v2 = moduleAVersion2();
        harness.deploy(a, DEPLOYED);
        harness.setDynamicOption(a.name(), "backup.max.age.hours", "5");
        ModuleDescriptor deployed = runtime().describe(a.name()).orElseThrow();
        Map<String, String> options = new TreeMap<>(a.dynamicOptions());
        options.put("backup.max.age.hours", "5");
        checkDescribed(deployed, a, options, "after deploy");
        write(a.name(), 1200);
        awaitCaughtUp(a.name());
        HeldCut held = holdAndRelease(runtime().captureCut(a.name()));
        if (!held.cut().descriptor().dynamicOptions().equals(options)) {
            throw violated(Property.DESCRIBE_ROUND_TRIPS, "the cut describes dynamic options " + held.cut().descriptor()
                    .dynamicOptions() + ", the module has " + options);
        }

        harness.setDynamicOption(a.name(), "backup.max.age.hours", "9");
        harness.update(v2);
        write(a.name(), 600);
        awaitCaughtUp(a.name());
        ModuleDescriptor updated = runtime().describe(a.name()).orElseThrow();
        Map<String, String> updatedOptions = new TreeMap<>(options);
        updatedOptions.put("backup.max.age.hours", "9");
        checkDescribed(updated, v2, updatedOptions, "after the update");
        if (FileDigests.sha256(runtime().moduleJar(a.name())).equals(held.jarSha256())) {
            throw violated(Property.DESCRIBE_ROUND_TRIPS, "the update to other code left the module's jar unchanged");
        }

        install(held, null);
        ModuleDescriptor restored = runtime().describe(a.name()).orElseThrow();
        checkDescribed(restored, a, options, "after restoring the backup taken before the update");
        if (!FileDigests.sha256(runtime().moduleJar(a.name())).equals(held.jarSha256())) {
            throw violated(Property.RESTORED_CODE_RUNS, "after the restore the module's jar is not the restored one ("
                    + FileDigests.sha256(runtime().moduleJar(a.name())) + ", restored " + held.jarSha256() + ")");
        }
        write(a.name(), 600);
        awaitCaughtUp(a.name());
        checkReplay(a, Property.RESTORED_CODE_RUNS, "the module restored to the jar before its update (it must compute"
                + " with that code, not the update's)");
    }

    // ------------------------------------------------------------------ checks

    private ClusterRuntime runtime() {
        return harness.runtime();
    }

    /** The failure of a property, naming it. */
    protected static AssertionError violated(Property property, String detail) {
        return new AssertionError("runtime contract property '" + property.text() + "' broken: " + detail);
    }

    private static void checkCommitIds(CutDescriptor cut) {
        for (TopologySpec topology : cut.descriptor().topologies()) {
            if (topology.kind() != TopologyKind.MICROBATCH) {
                continue;
            }
            Long cutId = cut.microbatchCommitIds().get(topology.name());
            for (TaskCut task : cut.tasks()) {
                Long taskId = task.commitIds().get(topology.name());
                if (cutId == null || !cutId.equals(taskId)) {
                    throw violated(Property.CUT_AT_ONE_COMMIT_ID, "cut " + cut.cutId() + " of " + cut.module() + ": microbatch"
                            + " topology " + topology.name() + " is at commit ID " + taskId + " on task " + task.task()
                            + ", the cut says " + cutId);
                }
            }
        }
    }

    private static void checkDepotsAfterPStates(CutDescriptor cut) {
        Map<String, Long> ends = new HashMap<>();
        for (TaskCut task : cut.tasks()) {
            task.depotEndOffsets().forEach((depot, end) -> ends.put(cut.module() + "/" + depot + "/" + task.task(), end));
        }
        for (TaskCut task : cut.tasks()) {
            task.processedOffsets().forEach((topology, offsets) -> offsets.forEach((partition, processed) -> {
                Long end = ends.get(partition);
                if (end != null && processed > end) {
                    throw violated(Property.CUT_DEPOTS_AFTER_PSTATES, "cut " + cut.cutId() + ": topology " + topology
                            + " on task " + task.task() + " had processed " + partition + " up to " + processed
                            + ", past the captured end " + end);
                }
            }));
        }
    }

    private void checkRestoredEnds(HeldCut held) {
        for (DepotSpec depot : held.cut().descriptor().depots()) {
            List<Long> live = ends(held.cut().module(), depot.name(), held.cut().tasks().size());
            if (!live.equals(held.ends(depot.name()))) {
                throw violated(Property.CUT_REPLAYS, "after installing cut " + held.cut().cutId() + ", depot " + depot.name()
                        + " ends at " + live + " instead of the captured " + held.ends(depot.name()));
            }
        }
    }

    /** Every PState key of the module equals what replaying its depots with {@code definition} computes. */
    private void checkReplay(ModuleDefinition definition, Property property, String what) {
        Map<String, Map<String, String>> expected = ReplayModel.replay(definition, harness, this::taskCount);
        long keys = 0;
        for (Map.Entry<String, Map<String, String>> pstate : expected.entrySet()) {
            Map<String, String> held = harness.readPState(definition.name(), pstate.getKey(), pstate.getValue().keySet());
            for (Map.Entry<String, String> key : pstate.getValue().entrySet()) {
                Optional<String> actual = Optional.ofNullable(held.get(key.getKey()));
                if (!actual.equals(Optional.of(key.getValue()))) {
                    throw violated(property, what + ": PState " + pstate.getKey() + " of " + definition.name() + " holds "
                            + actual.orElse("nothing") + " for key " + key.getKey() + ", but replaying the depots gives "
                            + key.getValue());
                }
                keys++;
            }
        }
        if (keys == 0) {
            throw new IllegalStateException(what + ": nothing to compare; the depots are empty");
        }
    }

    /** The fresh keys' values in the dependent module equal a replay of the depots it subscribes to. */
    private void checkFreshKeys(ModuleDefinition dependent, List<String> fresh, Property property, String what) {
        Map<String, Map<String, String>> expected = ReplayModel.replay(dependent, harness, this::taskCount);
        for (ModuleDefinition.Topology topology : dependent.topologies()) {
            if (topology.kind() != TopologyKind.MICROBATCH) {
                continue;
            }
            for (String pstate : topology.pstateNames()) {
                Map<String, String> held = harness.readPState(dependent.name(), pstate, fresh);
                for (String key : fresh) {
                    String want = expected.get(pstate).get(key);
                    Optional<String> actual = Optional.ofNullable(held.get(key));
                    if (!actual.equals(Optional.ofNullable(want))) {
                        throw violated(property, what + ": PState " + pstate + " holds " + actual.orElse("nothing")
                                + " for key " + key + " appended after the restore, but its entries give " + want
                                + " (processed offsets past the restored depot end skip new entries)");
                    }
                }
            }
        }
    }

    private void checkDescribed(ModuleDescriptor described, ModuleDefinition code, Map<String, String> options, String when) {
        Property property = when.startsWith("after restoring") ? Property.RESTORED_CODE_RUNS : Property.DESCRIBE_ROUND_TRIPS;
        if (!described.configOverrides().equals(code.configOverrides())) {
            throw violated(property, when + ": config overrides are " + described.configOverrides() + ", expected "
                    + code.configOverrides());
        }
        if (!described.dynamicOptions().equals(options)) {
            throw violated(Property.DESCRIBE_ROUND_TRIPS, when + ": dynamic options are " + described.dynamicOptions()
                    + ", expected " + options);
        }
        if (described.taskCount() != code.taskCount() || !Files.isRegularFile(runtime().moduleJar(code.name()))) {
            throw violated(Property.DESCRIBE_ROUND_TRIPS, when + ": the module has " + described.taskCount() + " tasks and"
                    + " jar " + runtime().moduleJar(code.name()));
        }
    }

    private int taskCount(String module) {
        return runtime().describe(module).orElseThrow(() -> new IllegalStateException("module " + module + " is not deployed"))
                .taskCount();
    }

    private long epoch(String module) {
        return runtime().restoreMarker(module).map(RestoreMarker::epoch).orElse(0L);
    }

    private List<Long> ends(String module, String depot, int partitions) {
        List<Long> ends = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            ends.add(harness.depotEndOffset(module, depot, p));
        }
        return ends;
    }

    private void awaitCaughtUp(String module) throws InterruptedException {
        if (!harness.awaitCaughtUp(module, CATCH_UP)) {
            throw new AssertionError("module " + module + " did not catch up with its depots within " + CATCH_UP);
        }
    }

    /** SHA-256 of every pinned file of a cut (its captured bytes), by Supervisor, task and path. */
    private Map<String, String> fingerprints(CutDescriptor cut) {
        Map<String, String> prints = new TreeMap<>();
        for (TaskCut task : cut.tasks()) {
            for (CapturedFile file : runtime().supervisor(task.supervisorId()).cutFiles(cut.module(), cut.cutId(), task.task())) {
                prints.put(task.task() + "/" + file.path(), FileDigests.sha256(file.source(), file.size()));
            }
        }
        return prints;
    }

    // ------------------------------------------------------------------ restores without a store

    private HeldCut holdAndRelease(CutDescriptor cut) {
        HeldCut held = hold(cut);
        runtime().releaseCut(cut.module(), cut.cutId());
        return held;
    }

    private HeldCut hold(CutDescriptor cut) {
        return HeldCut.hold(runtime(), cut, dir.resolve("held"));
    }

    private RestoreMarker install(HeldCut held, Parallelism parallelism) {
        return install(held, parallelism, runtime().placeRestore(held.cut().descriptor(), parallelism));
    }

    private RestoreMarker install(HeldCut held, Parallelism parallelism, Map<Integer, String> placement) {
        return held.install(runtime(), "contract-restore-" + restores.incrementAndGet(), parallelism, placement,
                dir.resolve("jars"));
    }

    // ------------------------------------------------------------------ writes

    private final Random random = new Random(7);
    private static final String PADDING = "p".repeat(120);
    /** Entries per append call: a remote harness sends each batch in one call. */
    private static final int BATCH = 100;

    private void write(String module, int entries) {
        String depot = moduleDepot(module);
        List<WorkloadEntry> batch = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            batch.add(new WorkloadEntry("k" + random.nextInt(700), random.nextInt(1000), PADDING));
            if (batch.size() == BATCH || i == entries - 1) {
                harness.appendAll(module, depot, batch);
                batch.clear();
            }
        }
    }

    /** Appends {@code count} entries under new keys; returns the keys. */
    private List<String> writeFresh(String module, String depot, String prefix, int count) {
        List<String> keys = new ArrayList<>();
        List<WorkloadEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = prefix + (i % 60);
            entries.add(new WorkloadEntry(key, 1000 + random.nextInt(100_000), PADDING));
            if (!keys.contains(key)) {
                keys.add(key);
            }
        }
        harness.appendAll(module, depot, entries);
        return keys;
    }

    private String moduleDepot(String module) {
        ModuleDefinition definition = module.equals(moduleA().name()) ? moduleA() : moduleB();
        return definition.depots().get(0);
    }

    /** Appends to a module's first depot on its own thread until closed. */
    private final class Writer implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong written = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Writer(String module, long seed) {
            String depot = moduleDepot(module);
            Random mine = new Random(seed);
            thread = new Thread(() -> {
                try {
                    while (running.get()) {
                        List<WorkloadEntry> batch = new ArrayList<>();
                        for (int i = 0; i < 10; i++) {
                            batch.add(new WorkloadEntry("k" + mine.nextInt(700), mine.nextInt(1000), PADDING));
                        }
                        harness.appendAll(module, depot, batch);
                        written.addAndGet(batch.size());
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "contract-writer");
            thread.start();
        }

        void awaitMore(long entries) throws InterruptedException {
            long target = written.get() + entries;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (written.get() < target && failure.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
        }
    }
}
