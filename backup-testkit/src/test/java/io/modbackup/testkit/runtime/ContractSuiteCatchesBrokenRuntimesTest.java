package io.modbackup.testkit.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import io.modbackup.api.runtime.CapturedFile;
import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.api.runtime.TaskCut;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.WorkloadEntry;
import io.modbackup.testkit.runtime.ClusterRuntimeContractTest.Property;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

/**
 * The runtime contract suite must fail a runtime that breaks the contract, naming the property. Each
 * nested suite runs one test of the kit against a deliberately broken runtime built on the simulated
 * cluster (surefire does not run nested classes on its own).
 */
class ContractSuiteCatchesBrokenRuntimesTest {
    private static final String CAPTURE = "capturesUnderConcurrentWritesAreAtOneCommitIdWithDepotsAfterPStatesAndReplayWhenRestored";
    private static final String INSTALL = "installRestoreIsAtomicAcrossACrashAtEachStep";

    @Test
    void depotsCapturedBeforePStatesFailTheCaptureTest() {
        assertFailsNaming(DepotsBeforePStates.class, CAPTURE, Property.CUT_DEPOTS_AFTER_PSTATES);
    }

    @Test
    void aMicrobatchPartitionACommitBehindFailsTheCaptureTest() {
        assertFailsNaming(OnePartitionBehind.class, CAPTURE, Property.CUT_AT_ONE_COMMIT_ID);
    }

    @Test
    void anInstallWithoutAJournalFailsTheAtomicityTest() {
        assertFailsNaming(UnjournaledInstall.class, INSTALL, Property.INSTALL_IS_ATOMIC);
    }

    @Test
    void theSameTestsPassOnTheSimulatedCluster() {
        for (String test : List.of(CAPTURE, INSTALL)) {
            Events events = run(SimulatedClusterContractTest.class, test);
            assertEquals(1, events.succeeded().count(), () -> describe(events));
        }
    }

    private static void assertFailsNaming(Class<? extends ClusterRuntimeContractTest> suite, String test, Property property) {
        Events events = run(suite, test);
        List<Event> failed = events.failed().list();
        assertEquals(1, failed.size(), () -> "expected " + test + " to fail: " + describe(events));
        Throwable cause = failed.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        String expected = "runtime contract property '" + property.text() + "' broken";
        assertTrue(String.valueOf(cause.getMessage()).startsWith(expected), () -> "expected a failure naming '"
                + property.text() + "', got: " + cause);
        System.out.println(suite.getSimpleName() + " fails " + test + ": " + cause.getMessage());
    }

    private static Events run(Class<?> suite, String test) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectMethod(suite, test)).execute().testEvents();
    }

    private static String describe(Events events) {
        StringBuilder text = new StringBuilder();
        events.list().forEach(e -> text.append(e.getType()).append(' ').append(e.getTestDescriptor().getDisplayName())
                .append(' ').append(e.getPayload().map(Object::toString).orElse("")).append('\n'));
        return text.toString();
    }

    // ------------------------------------------------------------------ broken runtimes

    /**
     * A runtime whose cuts are spliced from two real cuts: {@code early} taken, entries appended and
     * processed, then {@code late} taken; each task's files and figures come from one or the other as
     * {@code fromEarly} says (task, path).
     */
    abstract static class SplicingHarness extends SimulatedClusterHarness {
        private final Map<String, Spliced> cuts = new ConcurrentHashMap<>();
        private final Random random = new Random(3);
        private final SplicingRuntime runtime = new SplicingRuntime();

        SplicingHarness(Path root) {
            super(root, List.of(SampleModules.moduleA(), SampleModules.moduleB()));
        }

        /** Whether task {@code task}'s file {@code path} comes from the early cut. */
        abstract boolean fromEarly(int task, String path);

        /** The task's part of the spliced cut. */
        abstract TaskCut splice(TaskCut early, TaskCut late);

        @Override
        public ClusterRuntime runtime() {
            return runtime;
        }

        private record Spliced(CutDescriptor early, CutDescriptor late) {
        }

        private final class SplicingRuntime implements ClusterRuntime {
            private ClusterRuntime real() {
                return cluster();
            }

            @Override
            public String clusterId() {
                return real().clusterId();
            }

            @Override
            public List<String> moduleNames() {
                return real().moduleNames();
            }

            @Override
            public Optional<ModuleDescriptor> describe(String module) {
                return real().describe(module);
            }

            @Override
            public Path moduleJar(String module) {
                return real().moduleJar(module);
            }

            @Override
            public CutDescriptor captureCut(String module) {
                CutDescriptor early = real().captureCut(module);
                String depot = cluster().definition(module).depots().get(0);
                for (int i = 0; i < 400; i++) {
                    cluster().append(module, depot, new WorkloadEntry("k" + random.nextInt(700), random.nextInt(1000), "x"));
                }
                CutDescriptor late = awaitProgress(module, early);
                List<TaskCut> tasks = new ArrayList<>();
                for (int t = 0; t < late.tasks().size(); t++) {
                    tasks.add(splice(early.tasks().get(t), late.tasks().get(t)));
                }
                String id = "spliced-" + late.cutId();
                cuts.put(id, new Spliced(early, late));
                return new CutDescriptor(module, id, late.capturedAtMillis(), late.microbatchCommitIds(), late.descriptor(), tasks);
            }

            /** A cut whose topologies committed and processed past where {@code early}'s depots end. */
            private CutDescriptor awaitProgress(String module, CutDescriptor early) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (true) {
                    CutDescriptor late = real().captureCut(module);
                    boolean committed = late.microbatchCommitIds().entrySet().stream()
                            .allMatch(e -> e.getValue() > early.microbatchCommitIds().get(e.getKey()));
                    boolean past = late.tasks().stream().anyMatch(task -> task.processedOffsets().values().stream()
                            .anyMatch(offsets -> offsets.getOrDefault(module + "/" + cluster().definition(module).depots().get(0)
                                    + "/" + task.task(), -1L) > early.tasks().get(task.task()).depotEndOffsets().values()
                                    .iterator().next()));
                    if ((committed && past) || System.nanoTime() > deadline) {
                        return late;
                    }
                    real().releaseCut(module, late.cutId());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
            }

            @Override
            public void releaseCut(String module, String cutId) {
                Spliced spliced = cuts.remove(cutId);
                if (spliced != null) {
                    real().releaseCut(module, spliced.early().cutId());
                    real().releaseCut(module, spliced.late().cutId());
                }
            }

            @Override
            public SupervisorRuntime supervisor(String supervisorId) {
                SupervisorRuntime real = real().supervisor(supervisorId);
                return new SupervisorRuntime() {
                    @Override
                    public String id() {
                        return real.id();
                    }

                    @Override
                    public List<CapturedFile> cutFiles(String module, String cutId, int task) {
                        Spliced spliced = cuts.get(cutId);
                        if (spliced == null) {
                            return real.cutFiles(module, cutId, task);
                        }
                        List<CapturedFile> files = new ArrayList<>();
                        real.cutFiles(module, spliced.early().cutId(), task).stream()
                                .filter(f -> fromEarly(task, f.path())).forEach(files::add);
                        real.cutFiles(module, spliced.late().cutId(), task).stream()
                                .filter(f -> !fromEarly(task, f.path())).forEach(files::add);
                        return files;
                    }

                    @Override
                    public Path stagingDirectory(String module, String restoreId, int task) {
                        return real.stagingDirectory(module, restoreId, task);
                    }

                    @Override
                    public void discardStaging(String module, String restoreId) {
                        real.discardStaging(module, restoreId);
                    }
                };
            }

            @Override
            public Map<Integer, String> placeRestore(ModuleDescriptor descriptor, Parallelism parallelism) {
                return real().placeRestore(descriptor, parallelism);
            }

            @Override
            public RestoreMarker installRestore(RestoreRequest request) {
                return real().installRestore(request);
            }

            @Override
            public Optional<RestoreMarker> restoreMarker(String module) {
                return real().restoreMarker(module);
            }
        }
    }

    /** Depots from the early cut, PStates from the late one: PStates reflect entries the depots lack. */
    static class DepotsBeforePStates extends ClusterRuntimeContractTest {
        @Override
        protected RuntimeHarness openHarness(Path root) {
            return new SplicingHarness(root) {
                @Override
                boolean fromEarly(int task, String path) {
                    return path.startsWith("depots/");
                }

                @Override
                TaskCut splice(TaskCut early, TaskCut late) {
                    return new TaskCut(late.task(), late.supervisorId(), early.depotEndOffsets(), late.processedOffsets(),
                            late.commitIds(), late.fileCount(), late.totalBytes());
                }
            };
        }
    }

    /** Task 0's PStates from the early cut: that microbatch partition is commits behind the others. */
    static class OnePartitionBehind extends ClusterRuntimeContractTest {
        @Override
        protected RuntimeHarness openHarness(Path root) {
            BiPredicate<Integer, String> early = (task, path) -> task == 0 && path.startsWith("pstates/");
            return new SplicingHarness(root) {
                @Override
                boolean fromEarly(int task, String path) {
                    return early.test(task, path);
                }

                @Override
                TaskCut splice(TaskCut behind, TaskCut late) {
                    if (late.task() != 0) {
                        return late;
                    }
                    return new TaskCut(0, late.supervisorId(), late.depotEndOffsets(), behind.processedOffsets(),
                            behind.commitIds(), late.fileCount(), late.totalBytes());
                }
            };
        }
    }

    /** A runtime that keeps no install journal: a crash between task swaps is never finished or undone. */
    static class UnjournaledInstall extends ClusterRuntimeContractTest {
        @Override
        protected RuntimeHarness openHarness(Path root) {
            return new SimulatedClusterHarness(root, List.of(SampleModules.moduleA(), SampleModules.moduleB())) {
                @Override
                public void crashAndRestart() {
                    cluster().close();
                    deleteRecursively(root().resolve("conductor").resolve("installs"));
                    reopen();
                }
            };
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!java.nio.file.Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(file);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
