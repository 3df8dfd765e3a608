package io.modbackup.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.modbackup.sim.ClusterSnapshot;
import io.modbackup.sim.SampleModules;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A Supervisor process learns of modules from its Conductor's heartbeat answers, and may host a new module's
 * tasks before the answer naming it arrives: until then the module is unknown, not an error.
 */
class RemoteClusterViewTest {
    private static final String A = SampleModules.MODULE_A;
    private static final String B = SampleModules.MODULE_B;

    @Test
    void aModuleIsUnknownUntilAnAnswerNamesItAndItsReadsAreEmpty() {
        RemoteClusterView view = new RemoteClusterView("supervisor-0", null);
        assertEquals(OptionalInt.empty(), view.taskCount(A), "no answer yet");
        assertEquals(List.of(), view.readDepot(A, "*events", 0, 0, 10));

        view.update(new ConductorChannel.HeartbeatReply(new ClusterSnapshot(Map.of(A, 4), Map.of(A, Map.of()), Map.of(),
                Set.of(), Set.of()), Map.of(), null));
        assertEquals(OptionalInt.of(4), view.taskCount(A));
        assertEquals(OptionalInt.empty(), view.taskCount(B), "deployed after the answer");
        assertEquals(List.of(), view.readDepot(B, "*clicks", 0, 0, 10));

        view.update(new ConductorChannel.HeartbeatReply(new ClusterSnapshot(Map.of(A, 4, B, 2), Map.of(), Map.of(),
                Set.of(), Set.of()), Map.of(), null));
        assertEquals(OptionalInt.of(2), view.taskCount(B));
    }
}
