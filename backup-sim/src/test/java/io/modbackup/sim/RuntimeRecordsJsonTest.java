package io.modbackup.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.api.runtime.CutDescriptor;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.RestoreMarker;
import io.modbackup.api.runtime.SupervisorRuntime;
import io.modbackup.api.runtime.TaskCut;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime SPI's values cross between Conductor and Supervisors as JSON: they must round-trip. */
class RuntimeRecordsJsonTest {
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void cutsDescriptorsFilesAndMarkersRoundTripThroughJackson() throws Exception {
        try (SimulatedCluster cluster = SimulatedCluster.withSampleModules(dir)) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            new Workload(cluster, 1, 20, 5).appendBatch(SampleModules.MODULE_A, "*events", 50);
            CutDescriptor cut = cluster.captureCut(SampleModules.MODULE_B);
            assertEquals(cut, roundTrip(cut, CutDescriptor.class));
            TaskCut task = cut.tasks().get(0);
            SupervisorRuntime supervisor = cluster.supervisor(task.supervisorId());
            for (var file : supervisor.cutFiles(SampleModules.MODULE_B, cut.cutId(), 0)) {
                assertEquals(file, roundTrip(file, io.modbackup.api.runtime.CapturedFile.class));
            }
            RestoreMarker marker = new RestoreMarker("m", 3, "m-00000193E038B5F8-DE", 17,
                    java.util.Map.of("*d", java.util.List.of(1L, 2L)));
            assertEquals(marker, roundTrip(marker, RestoreMarker.class));
            assertEquals(cut.descriptor().dependencies().get(0).toString(),
                    "pstate $$totals of module " + SampleModules.MODULE_A);
        }
    }

    private <T> T roundTrip(T value, Class<T> type) throws Exception {
        return json.readValue(json.writeValueAsString(value), type);
    }
}
