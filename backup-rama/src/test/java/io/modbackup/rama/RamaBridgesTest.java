package io.modbackup.rama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.BackupStorageException;
import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each direction bridges, what it refuses, and our engine running on a provider written for Rama. */
class RamaBridgesTest {
    private static final String BRIDGE = RamaProviderForModbackup.class.getName();
    private static final String NATIVE = InMemoryRamaProvider.class.getName();

    @TempDir
    Path dir;

    @Test
    void ourEngineBacksUpVerifiesAndRestoresThroughAProviderWrittenForRama() throws Exception {
        String module = SampleModules.MODULE_A;
        try (SimulatedCluster cluster = new SimulatedCluster("rama-cluster", dir.resolve("cluster"), 2, 64 * 1024,
                List.of(SampleModules.moduleA()));
             BackupProvider provider = new ProviderLoader().load(BRIDGE + " " + NATIVE + " memory");
             BackupEngine engine = new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(16 * 1024))) {
            assertInstanceOf(RamaProviderForModbackup.class, provider, "loaded from our backup.provider value");
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            Workload workload = new Workload(cluster, 5, 2000, 100);
            workload.appendBatch(module, "*events", 1500);
            assertTrue(cluster.awaitCaughtUp(module, 60_000));
            Map<Integer, Long> firstEnds = cluster.depotEndOffsets(module, "*events");
            ModuleManifest first = engine.backup(module);
            workload.appendBatch(module, "*events", 500);
            assertTrue(cluster.awaitCaughtUp(module, 60_000));
            ModuleManifest second = engine.backup(module);
            assertTrue(second.totals().chunksReused() > 0, "the second backup reuses what the Rama provider holds");
            assertEquals(List.of(second.backupId(), first.backupId()),
                    engine.list(module, null, 10).backups().stream().map(b -> b.backupId()).toList());
            assertTrue(engine.verify(first.backupId(), true).ok());

            engine.restore(first.backupId());
            assertEquals(firstEnds, cluster.depotEndOffsets(module, "*events"), "every task is the first backup's");
            cluster.checkLive(module, dir.resolve("check"));
        }
    }

    @Test
    void aRamaProviderIsNamedByItsClassAndArgumentAndEveryMistakeSaysWhatToFix() {
        try (BackupProvider loaded = new RamaProviderForModbackup(NATIVE + " memory");
             BackupProvider noArgument = new RamaProviderForModbackup(NATIVE)) {
            loaded.putObject("k", new ByteArrayInputStream(new byte[] {1}), 1).join();
            assertTrue(loaded.hasKey("k").join());
            assertFalse(noArgument.hasKey("k").join(), "each instance is its own store");
        }
        assertMessage("needs the Rama provider after it", () -> new RamaProviderForModbackup(" "));
        assertMessage("class com.example.Missing is not on the classpath",
                () -> new RamaProviderForModbackup("com.example.Missing arg"));
        assertMessage("does not implement com.rpl.rama.backup.BackupProvider",
                () -> new RamaProviderForModbackup("java.lang.StringBuilder x"));
        assertMessage("refused its argument: java.lang.IllegalArgumentException: expected 'memory', got 'disk'",
                () -> new RamaProviderForModbackup(NATIVE + " disk"));
        assertMessage("needs our provider after it", () -> new ModbackupProviderForRama(""));
        assertMessage("is not on the classpath", () -> new ModbackupProviderForRama("com.example.Missing x"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable construct) {
        BackupConfigException e = assertThrows(BackupConfigException.class, construct);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aRamaProvidersHiddenHasKeyErrorIsTheOneDifferenceLeftAndOtherFailuresNameKeyAndProvider() {
        InMemoryRamaProvider rama = new InMemoryRamaProvider();
        try (BackupProvider bridge = new RamaProviderForModbackup(rama)) {
            bridge.putObject("k", new ByteArrayInputStream(new byte[] {1}), 1).join();
            rama.failing = true;
            // Documented: Rama's hasKey hides the error; nothing the bridge can tell apart from "absent".
            assertFalse(bridge.hasKey("k").join());
            CompletionException get = assertThrows(CompletionException.class, () -> bridge.getObject("k").join());
            BackupStorageException cause = assertInstanceOf(BackupStorageException.class, get.getCause());
            assertEquals("Rama provider " + NATIVE + " could not get 'k': the store is unreachable",
                    cause.getMessage());
            assertInstanceOf(BackupStorageException.class,
                    assertThrows(CompletionException.class, () -> bridge.listKeysNonRecursive("", null, 0).join()).getCause());
        }
    }

    @Test
    void ourHasKeyStillFailsInRamasFormWhenTheStoreCannotAnswer() {
        FaultInjectingProvider ours = new FaultInjectingProvider(new LocalDirectoryProvider(dir.toString()), 1);
        ours.addRule(FaultRule.fail(FaultRule.Operation.HAS_KEY));
        try (ModbackupProviderForRama rama = new ModbackupProviderForRama(ours)) {
            assertThrows(CompletionException.class, () -> rama.hasKey("k").join(),
                    "an error is not 'absent': the one behaviour we keep over Rama's");
        }
    }

    @Test
    void anUploadOfUnknownLengthIsSpooledStoredWholeAndItsTemporaryFileRemoved() throws Exception {
        byte[] data = "a Rama upload without a content length".repeat(1000).getBytes(StandardCharsets.UTF_8);
        long spooledBefore = spooledFiles();
        try (ModbackupProviderForRama rama = new ModbackupProviderForRama(
                LocalDirectoryProvider.class.getName() + " " + dir.resolve("store"))) {
            rama.putObject("unknown/length", new ByteArrayInputStream(data), null).join();
            try (InputStream in = rama.<InputStream>getObject("unknown/length").join()) {
                assertArrayEquals(data, in.readAllBytes());
            }
            assertNull(rama.getObject("absent").join(), "absent is null, as Rama expects");
            assertEquals(List.of("unknown/length"), rama.listKeysRecursive("unknown", null).join().keys);
            assertEquals(List.of("length"), rama.listKeysNonRecursive("unknown", null, -1).join().keys,
                    "a prefix without '/' lists its directory");
        }
        assertEquals(spooledBefore, spooledFiles(), "the temporary file is gone");
    }

    private static long spooledFiles() throws Exception {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("modbackup-rama-")).count();
        }
    }
}
