package io.modbackup.cluster;

import io.modbackup.cluster.node.ConductorProcess;
import io.modbackup.cluster.node.SupervisorProcess;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shipped node processes with the fault switches crash tests need, added through their
 * {@code run} extension: only a test build has these main classes, so no shipped process serves a
 * switch. Started through {@code ClusterSpec.withMainClasses(Conductor.class, Supervisor.class)}.
 */
public final class FaultSwitchNodes {
    /** Makes a Supervisor halt (exit 137, as if killed) when its install swap reaches the named step. */
    static final String HALT_AT_SWAP_STEP = "modbackup.test.haltAtSwapStep";

    private FaultSwitchNodes() {
    }

    /** What the test Conductor serves as {@code faults}. */
    public interface ConductorFaults {
        /** Makes the Conductor halt (exit 137, no cleanup) at the {@code step}-th durable step of the next install. */
        void haltAtInstallStep(int step);
    }

    /** The Conductor, serving {@link ConductorFaults}. */
    public static final class Conductor {
        private Conductor() {
        }

        public static void main(String[] argv) throws Exception {
            ConductorProcess.run(argv, (runtime, server) -> server.export("faults", ConductorFaults.class, step -> {
                AtomicInteger steps = new AtomicInteger();
                runtime.onInstallStep(name -> {
                    if (steps.incrementAndGet() == step) {
                        System.err.println("the test Conductor halts at install step " + step + " (" + name + ")");
                        Runtime.getRuntime().halt(137);
                    }
                });
            }));
        }
    }

    /** A Supervisor, halting at the swap step the system property {@value #HALT_AT_SWAP_STEP} names. */
    public static final class Supervisor {
        private Supervisor() {
        }

        public static void main(String[] argv) throws Exception {
            String haltAt = System.getProperty(HALT_AT_SWAP_STEP);
            SupervisorProcess.run(argv, host -> {
                if (haltAt != null) {
                    host.onSwapStep(step -> {
                        if (step.equals(haltAt)) {
                            System.err.println("the test Supervisor halts at install step " + step);
                            Runtime.getRuntime().halt(137);
                        }
                    });
                }
            });
        }
    }
}
