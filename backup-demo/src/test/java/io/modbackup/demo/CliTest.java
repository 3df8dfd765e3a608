package io.modbackup.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.api.runtime.Parallelism;
import io.modbackup.cli.command.BackupCli;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.sim.SampleModules;
import io.modbackup.sim.SimulatedCluster;
import io.modbackup.sim.Workload;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CLI end to end on a simulated cluster kept in a directory, as an operator would use it. */
class CliTest {
    private static final String A = SampleModules.MODULE_A;

    @TempDir
    Path dir;
    private Path config;

    record Result(int code, String out, String err) {
    }

    @BeforeEach
    void setUpCluster() throws Exception {
        try (SimulatedCluster cluster = new SimulatedCluster(Demo.CLUSTER_ID, dir.resolve("cluster"), 2,
                SimulatedCluster.DEFAULT_SEGMENT_BYTES, List.of(SampleModules.moduleA(), SampleModules.moduleB()))) {
            cluster.deploy(SampleModules.moduleA(), new Parallelism(4, 2, 1));
            cluster.deploy(SampleModules.moduleB(), new Parallelism(2, 2, 1));
            new Workload(cluster, 5, 200, 30).appendBatch(A, "*events", 400);
            assertTrue(cluster.awaitCaughtUp(A, 30_000));
        }
        config = dir.resolve("modbackup.yaml");
        Files.writeString(config, "# demo config\nbackup.provider: \"" + LocalDirectoryProvider.class.getName() + " "
                + dir.resolve("store") + "\"\ncluster.dir: " + dir.resolve("cluster") + "\n");
    }

    private Result cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--config")) {
            all.add(0, config.toString());
            all.add(0, "--config");
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BackupCli.run(new SimulatedClusterConnector(), all.toArray(String[]::new), new PrintWriter(out),
                new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    private String backupId(Result backup) {
        Matcher m = Pattern.compile("backup (\\S+) committed").matcher(backup.out());
        assertTrue(m.find(), backup.out() + backup.err());
        return m.group(1);
    }

    @Test
    void backupListInfoVerifyAndRestoreWork() {
        Result backup = cli("--action", "backup", "--module", A);
        assertEquals(0, backup.code(), backup.err());
        String id = backupId(backup);
        assertTrue(backup.err().contains("backup: 4/4 tasks"), "progress bar: " + backup.err());

        Result list = cli("--action", "list", "--module", A);
        assertEquals(0, list.code());
        assertTrue(list.out().startsWith(id), list.out());
        Matcher figures = Pattern.compile("committed: \\d+ files, (.+), (.+) of new content, (.+) sent to the store,")
                .matcher(backup.out());
        assertTrue(figures.find(), backup.out());
        Matcher listed = Pattern.compile(Pattern.quote(id) + "  \\S+  size +(.+?)  new +(.+?)  sent +(.+?)  ").matcher(list.out());
        assertTrue(listed.find(), list.out());

        Result info = cli("--action", "info", "--backupId", id);
        assertEquals(0, info.code(), info.err());
        Matcher shown = Pattern.compile("size +(.+) in \\d+ files\nnew content (.+) \\(.*\nsent +(.+) to the store")
                .matcher(info.out());
        assertTrue(shown.find(), info.out());
        for (Matcher m : List.of(listed, shown)) {
            assertEquals(List.of(figures.group(1), figures.group(2), figures.group(3)), List.of(m.group(1), m.group(2), m.group(3)),
                    "backup, list and info show the same size, new content and bytes sent");
        }
        assertTrue(info.out().contains("topology    counts (microbatch, commit ID"), info.out());
        assertTrue(info.out().contains("pstate      $$totals of topology counts"), info.out());
        assertTrue(info.out().contains("depot       *events"), info.out());

        Result verify = cli("--action", "verify", "--backupId", id, "--deep");
        assertEquals(0, verify.code(), verify.err());
        assertTrue(verify.out().contains("re-hashed"), verify.out());

        Result refused = cli("--action", "restore", "--backupId", id);
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("cannot be undone: re-run with --yes"), refused.err());

        Result restore = cli("--action", "restore", "--backupId", id, "--yes", "--safety-backup");
        assertEquals(0, restore.code(), restore.err());
        assertTrue(restore.out().contains("safety backup "), restore.out());
        assertTrue(restore.out().contains("restored " + id), restore.out());
        assertTrue(restore.out().contains("restore epoch 1"), restore.out());
    }

    @Test
    void aRestoreBringsBackTheJarConfigAndDynamicOptionsAndItsSafetyBackupIsListedAndVerifiable() throws Exception {
        String id = backupId(cli("--action", "backup", "--module", A));
        // After the backup, the module changes: a dynamic option, and an update to a newer build (jar, code, config).
        String backedUpJar;
        try (SimulatedCluster cluster = new SimulatedCluster(Demo.CLUSTER_ID, dir.resolve("cluster"), 2,
                SimulatedCluster.DEFAULT_SEGMENT_BYTES, SampleModules.allVersions())) {
            backedUpJar = io.modbackup.core.hash.Hashing.sha256Hex(Files.readAllBytes(cluster.moduleJar(A)));
            cluster.setDynamicOption(A, "backup.max.age.hours", "5");
            cluster.update(SampleModules.moduleAVersion2());
            assertEquals(SampleModules.moduleAVersion2().configOverrides(), cluster.describe(A).orElseThrow().configOverrides());
        }
        Result restore = cli("--action", "restore", "--backupId", id, "--yes", "--safety-backup");
        assertEquals(0, restore.code(), restore.err());
        Matcher safety = Pattern.compile("safety backup (\\S+) committed").matcher(restore.out());
        assertTrue(safety.find(), restore.out());

        ModuleManifestView backup = ModuleManifestView.of(cli("--action", "info", "--backupId", id));
        try (SimulatedCluster view = SimulatedCluster.view(Demo.CLUSTER_ID, dir.resolve("cluster"), 2,
                SampleModules.allVersions())) {
            var restored = view.describe(A).orElseThrow();
            assertEquals(SampleModules.moduleA().dynamicOptions(), restored.dynamicOptions(), "the backup's dynamic options");
            assertEquals(SampleModules.moduleA().configOverrides(), restored.configOverrides(), "the backup's config overrides");
            assertEquals(SampleModules.moduleA(), view.definition(A), "the backup's code, not the newer build's");
            assertEquals(backedUpJar, backup.jarSha256());
            assertEquals(backup.jarSha256(), io.modbackup.core.hash.Hashing.sha256Hex(Files.readAllBytes(view.moduleJar(A))),
                    "the backup's jar");
        }

        Result list = cli("--action", "list", "--module", A);
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(safety.group(1))), "the safety backup is listed: " + list.out());
        Result verify = cli("--action", "verify", "--backupId", safety.group(1), "--deep");
        assertEquals(0, verify.code(), verify.err());
    }

    @Test
    void deepVerifyOfABackupWithAFlippedChunkByteExitsNonZeroNamingTheChunk() throws Exception {
        String id = backupId(cli("--action", "backup", "--module", A));
        Path chunk;
        try (var blobs = Files.walk(dir.resolve("store").resolve("blobs"))) {
            chunk = blobs.filter(Files::isRegularFile).max(java.util.Comparator.comparingLong(p -> p.toFile().length()))
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(chunk, bytes);
        Result verify = cli("--action", "verify", "--backupId", id, "--deep");
        assertEquals(1, verify.code(), verify.out() + verify.err());
        assertTrue((verify.out() + verify.err()).contains(chunk.getFileName().toString()), verify.out() + verify.err());
        assertEquals(1, verify.err().lines().count(), "one line on stderr: " + verify.err());
    }

    /** What the CLI's info prints about a backup's jar. */
    private record ModuleManifestView(String jarSha256) {
        static ModuleManifestView of(Result info) {
            Matcher jar = Pattern.compile("jar\\s+\\S+.*sha256 ([0-9a-f]{64})").matcher(info.out());
            assertTrue(jar.find(), "info names the jar's SHA-256: " + info.out());
            return new ModuleManifestView(jar.group(1));
        }
    }

    @Test
    void listingPagesWithATokenPrintedForTheNextPage() {
        for (int i = 0; i < 3; i++) {
            assertEquals(0, cli("--action", "backup", "--module", A).code());
        }
        Result first = cli("--action", "list", "--module", A, "--pageSize", "2");
        Matcher token = Pattern.compile("next page: --pageToken (\\S+)").matcher(first.out());
        assertTrue(token.find(), first.out());
        Result second = cli("--action", "list", "--module", A, "--pageSize", "2", "--pageToken", token.group(1));
        assertEquals(0, second.code());
        assertEquals(1, second.out().lines().count(), second.out());
        assertFalse(second.out().contains("next page"));
    }

    @Test
    void gcFollowsTheRetentionOptionsAndADryRunDeletesNothing() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(0, cli("--action", "backup", "--module", A).code());
        }
        try (SimulatedCluster cluster = new SimulatedCluster(Demo.CLUSTER_ID, dir.resolve("cluster"), 2,
                SimulatedCluster.DEFAULT_SEGMENT_BYTES, List.of(SampleModules.moduleA(), SampleModules.moduleB()))) {
            cluster.setDynamicOption(A, "backup.max.age.hours", "0");
            cluster.setDynamicOption(A, "backup.min.backups.to.keep", "1");
        }
        Result dry = cli("--action", "gc", "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().startsWith("gc (dry run): would delete 2 backups, kept 1"), dry.out());
        assertEquals(3, cli("--action", "list", "--module", A).out().lines().count());
        Result gc = cli("--action", "gc");
        assertTrue(gc.out().startsWith("gc: deleted 2 backups, kept 1"), gc.out());
        assertEquals(1, cli("--action", "list", "--module", A).out().lines().count());
    }

    @Test
    void aForeignClusterIsRefusedUntilItTakesTheStoreOver() throws Exception {
        assertEquals(0, cli("--action", "backup", "--module", A).code());
        Files.writeString(config, Files.readString(config) + "cluster.id: replacement-cluster\n");
        Result refused = cli("--action", "gc");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("belongs to another cluster"), refused.err());
        assertTrue(refused.err().contains("names " + Demo.CLUSTER_ID + ", this is replacement-cluster"), refused.err());
        assertTrue(refused.err().contains("take the store over with --takeover"), "the CLI names its flag: " + refused.err());
        assertEquals(0, cli("--action", "list", "--module", A).code(), "a foreign cluster may still list");
        Result takeover = cli("--action", "backup", "--module", A, "--takeover");
        assertEquals(0, takeover.code(), takeover.err());
        assertTrue(takeover.out().startsWith("took ownership of the backup store from " + Demo.CLUSTER_ID), takeover.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown module|--action backup --module com.nope.Missing|unknown module com.nope.Missing",
            "malformed backup ID|--action info --backupId nonsense|malformed backup ID 'nonsense'",
            "unknown backup ID|--action info --backupId com.mycompany.ModuleA-00000193E038B5F8-DE|no backup com.mycompany.ModuleA-00000193E038B5F8-DE in the store",
            "bad page token|--action list --module com.mycompany.ModuleA --pageToken JMN2983AJD|invalid page token 'JMN2983AJD'",
            "negative threads|--action restore --backupId com.mycompany.ModuleA-00000193E038B5F8-DE --threads -1 --workers 2 --yes|--threads must be at least 1",
            "threads without workers|--action restore --backupId com.mycompany.ModuleA-00000193E038B5F8-DE --threads 4 --yes|give both --threads and --workers",
            "missing module|--action list|--action list needs --module",
            "missing backup ID|--action verify|--action verify needs --backupId",
            "unknown action|--action explode --module x|Invalid value for option '--action'",
            "non-numeric threads|--action restore --backupId x --threads many|'many' is not an int",
            "zero page size|--action list --module com.mycompany.ModuleA --pageSize 0|--pageSize must be at least 1",
            "negative workers|--action restore --backupId com.mycompany.ModuleA-00000193E038B5F8-DE --threads 4 --workers -2 --yes|--workers must be at least 1",
            "zero replication factor|--action restore --backupId com.mycompany.ModuleA-00000193E038B5F8-DE --threads 4 --workers 2 --replicationFactor 0 --yes|--replicationFactor must be at least 1",
            "parallelism on a backup|--action backup --module com.mycompany.ModuleA --threads 4|only apply to --action restore",
            "restore of an unknown backup|--action restore --backupId com.mycompany.ModuleA-00000193E038B5F8-DE --yes|no backup com.mycompany.ModuleA-00000193E038B5F8-DE in the store",
            "backup ID with a bad timestamp|--action info --backupId com.mycompany.ModuleA-XYZ-DE|malformed backup ID",
            "unknown option|--action list --module com.mycompany.ModuleA --colour red|Unknown options: '--colour'",
            "backup ID with a slash|--action info --backupId ../../etc/x-00000193E038B5F8-DE|its module name '../../etc/x' has a '/'",
            "backup ID with dots|--action verify --backupId ..-00000193E038B5F8-DE|its module name '..' has",
    })
    void everyUserErrorIsOneClearLineAndANonZeroExit(String name, String args, String expected) {
        // The store exists (a dry-run GC claims it for this cluster): an unknown ID is reported as unknown.
        assertEquals(0, cli("--action", "gc", "--dry-run").code());
        Result result = cli(args.split(" "));
        assertTrue(result.code() != 0, name + " must fail");
        assertEquals("", result.out(), name + " prints nothing on stdout");
        assertEquals(1, result.err().strip().lines().count(), name + " prints one line: " + result.err());
        assertTrue(result.err().startsWith("error: "), result.err());
        assertTrue(result.err().contains(expected), name + ": " + result.err());
        assertFalse(result.err().contains("\tat "), "no stack trace");
    }

    /** How many bad config files {@link #configProblemsAreOneClearLine} tries. */
    static final int CONFIG_PROBLEMS = 10;

    @Test
    void configProblemsAreOneClearLine() throws Exception {
        Path noProvider = Files.writeString(dir.resolve("empty.yaml"), "cluster.dir: " + dir.resolve("cluster") + "\n");
        Path badProvider = Files.writeString(dir.resolve("bad.yaml"), "backup.provider: \"com.example.Nope arg\"\n");
        Path notYaml = Files.writeString(dir.resolve("broken.yaml"), "just words\n");
        Path notAClass = Files.writeString(dir.resolve("malformed.yaml"), "backup.provider: \"s3://my-bucket/backups\"\n");
        Path notAProvider = Files.writeString(dir.resolve("wrong-type.yaml"), "backup.provider: \"java.lang.StringBuilder x\"\n");
        Path noClusterDir = Files.writeString(dir.resolve("no-cluster.yaml"), "backup.provider: \""
                + LocalDirectoryProvider.class.getName() + " " + dir.resolve("store") + "\"\n");
        String store = "backup.provider: \"" + LocalDirectoryProvider.class.getName() + " " + dir.resolve("store")
                + "\"\ncluster.dir: " + dir.resolve("cluster") + "\n";
        Path badCompression = Files.writeString(dir.resolve("gzip.yaml"), store + "backup.compression: gzip\n");
        Path noKeyFile = Files.writeString(dir.resolve("no-key.yaml"), store + "backup.encryption.key: file:"
                + dir.resolve("lost.key") + "\n");
        Path unreachable = Files.writeString(dir.resolve("unreachable.yaml"), "backup.provider: \""
                + LocalDirectoryProvider.class.getName() + " /proc/forbidden/store\"\ncluster.dir: " + dir.resolve("cluster") + "\n");
        String[][] cases = {
                {dir.resolve("missing.yaml").toString(), "does not exist"},
                {noProvider.toString(), "has no backup.provider"},
                {badProvider.toString(), "class com.example.Nope is not on the classpath"},
                {notYaml.toString(), "line 1 is not 'key: value'"},
                {notAClass.toString(), "'s3://my-bucket/backups' is not a fully qualified Java class name"},
                {notAProvider.toString(), "does not implement io.modbackup.api.provider.BackupProvider"},
                {noClusterDir.toString(), "the config has no cluster.dir"},
                {unreachable.toString(), "/proc/forbidden/store\" holds no backups"},
                {badCompression.toString(), "backup.compression is \"gzip\"; give none, zstd, or zstd:<level>"},
                {noKeyFile.toString(), "names key file " + dir.resolve("lost.key") + ", which does not exist"},
        };
        assertEquals(CONFIG_PROBLEMS, cases.length, "docs/reliability.md counts them");
        for (String[] c : cases) {
            Result result = cli("--config", c[0], "--action", "list", "--module", A);
            assertEquals(1, result.code(), c[0]);
            assertEquals(1, result.err().strip().lines().count(), result.err());
            assertTrue(result.err().contains(c[1]), result.err());
        }
        Result verbose = cli("--config", badProvider.toString(), "--action", "list", "--module", A, "--verbose");
        assertTrue(verbose.err().contains("\tat "), "--verbose shows the stack trace");
    }

    @Test
    void readOnlyActionsOnAMistypedStoreSayItHoldsNothingAndCreateNothing() throws Exception {
        Path typo = dir.resolve("stroe");
        Path mistyped = Files.writeString(dir.resolve("typo.yaml"), "backup.provider: \"" + LocalDirectoryProvider.class.getName()
                + " " + typo + "\"\ncluster.dir: " + dir.resolve("cluster") + "\n");
        for (String[] args : new String[][] {{"--action", "list", "--module", A},
                {"--action", "info", "--backupId", "com.mycompany.ModuleA-00000193E038B5F8-DE"},
                {"--action", "verify", "--backupId", "com.mycompany.ModuleA-00000193E038B5F8-DE"}}) {
            List<String> all = new ArrayList<>(List.of("--config", mistyped.toString()));
            all.addAll(List.of(args));
            Result result = cli(all.toArray(String[]::new));
            assertEquals(1, result.code(), String.join(" ", args));
            assertEquals(1, result.err().strip().lines().count(), result.err());
            assertTrue(result.err().contains("holds no backups (it has no cluster.json)"), result.err());
            assertTrue(result.err().contains(typo.toString()), "names the store: " + result.err());
            assertFalse(Files.exists(typo), "a read-only action creates no store");
        }
        assertEquals(0, cli("--action", "backup", "--module", A).code(), "the real store works");
        Result empty = cli("--action", "list", "--module", SampleModules.MODULE_B);
        assertEquals(0, empty.code(), "an existing store without backups of a module lists none: " + empty.err());
        assertEquals("no backups of " + SampleModules.MODULE_B, empty.out().strip());
    }

    @Test
    void aConfigFileThatIsNotUtf8OrSetsAKeyTwiceIsRefusedNamingTheProblem() throws Exception {
        Path latin1 = dir.resolve("latin1.yaml");
        Files.write(latin1, ("# caf\u00e9 backups\nbackup.provider: \"" + LocalDirectoryProvider.class.getName() + " "
                + dir.resolve("store") + "\"\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Result notUtf8 = cli("--config", latin1.toString(), "--action", "list", "--module", A);
        assertEquals(1, notUtf8.code());
        assertTrue(notUtf8.err().contains("is not UTF-8 text"), notUtf8.err());

        Path twice = Files.writeString(dir.resolve("twice.yaml"), "backup.provider: \"" + LocalDirectoryProvider.class.getName()
                + " " + dir.resolve("store") + "\"\ncluster.dir: " + dir.resolve("cluster") + "\n# later\nbackup.provider: \""
                + LocalDirectoryProvider.class.getName() + " /elsewhere\"\n");
        Result duplicate = cli("--config", twice.toString(), "--action", "list", "--module", A);
        assertEquals(1, duplicate.code());
        assertTrue(duplicate.err().contains("sets backup.provider twice, on lines 1 and 4"), duplicate.err());
    }

    @Test
    void aSecondCommandNeedingLiveStateIsRefusedClearlyWhileMetadataCommandsRun() throws Exception {
        assertEquals(0, cli("--action", "backup", "--module", A).code());
        Path lockFile = dir.resolve("cluster").resolve(SimulatedClusterConnector.LOCK_FILE);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(lockFile,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            // Another process's lock: this JVM's FileLock stands for it.
            try (var held = channel.lock()) {
                Result second = cli("--action", "backup", "--module", A);
                assertEquals(1, second.code());
                assertTrue(second.err().contains("is in use by another backup or restore"), second.err());
                assertFalse(second.err().contains("LOCK"), "no RocksDB message: " + second.err());
                assertEquals(0, cli("--action", "list", "--module", A).code(), "list needs no live state");
                Result gc = cli("--action", "gc", "--dry-run");
                assertEquals(0, gc.code(), "gc needs no live state: " + gc.err());
            }
        }
        assertEquals(0, cli("--action", "backup", "--module", A).code(), "the lock is released with its holder");
    }

    private Path configWith(String name, String extra) throws Exception {
        return Files.writeString(dir.resolve(name), Files.readString(config) + extra);
    }

    private Result cli(Path configFile, String... args) {
        List<String> all = new ArrayList<>(List.of("--config", configFile.toString()));
        all.addAll(List.of(args));
        return cli(all.toArray(String[]::new));
    }

    @Test
    void anEncryptedStoreIsUsedRotatedAndRefusedWithTheWrongKeyThroughTheCli() throws Exception {
        Path first = Files.writeString(dir.resolve("first.key"), java.util.Base64.getEncoder().encodeToString(
                "0123456789abcdef0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        java.nio.file.Files.setPosixFilePermissions(first, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path second = Files.writeString(dir.resolve("second.key"), java.util.Base64.getEncoder().encodeToString(
                "fedcba9876543210fedcba9876543210".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        java.nio.file.Files.setPosixFilePermissions(second, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path withFirst = configWith("first.yaml", "backup.encryption.key: file:" + first + "\nbackup.compression: zstd:6\n");
        Path withSecond = configWith("second.yaml", "backup.encryption.key: file:" + second + "\n");

        Result backup = cli(withFirst, "--action", "backup", "--module", A);
        assertEquals(0, backup.code(), backup.err());
        String id = backupId(backup);
        assertEquals(0, cli(withFirst, "--action", "verify", "--backupId", id, "--deep").code());

        for (Path wrong : List.of(withSecond, config)) {
            Result refused = cli(wrong, "--action", "info", "--backupId", id);
            assertEquals(1, refused.code(), refused.out());
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertTrue(refused.err().startsWith(wrong == config ? "error: the backup store is encrypted (master key local:"
                    : "error: backup.encryption.key (master key local:"), refused.err());
            assertEquals("", refused.out());
        }

        Result missingFlag = cli(withFirst, "--action", "rotateKey");
        assertTrue(missingFlag.err().contains("--action rotateKey needs --newKey"), missingFlag.err());
        Result rotate = cli(withFirst, "--action", "rotateKey", "--newKey", "file:" + second);
        assertEquals(0, rotate.code(), rotate.err());
        assertTrue(rotate.out().startsWith("the store's data key is now wrapped by master key local:"), rotate.out());
        Result stale = cli(withFirst, "--action", "list", "--module", A);
        assertEquals(1, stale.code());
        assertTrue(stale.err().contains("rotated away from"), stale.err());
        Result restore = cli(withSecond, "--action", "restore", "--backupId", id, "--yes");
        assertEquals(0, restore.code(), restore.err());
    }
}
