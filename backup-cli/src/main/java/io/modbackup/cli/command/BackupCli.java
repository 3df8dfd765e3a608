package io.modbackup.cli.command;

import io.modbackup.api.provider.BackupConfigException;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.api.provider.ProviderLoader;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cli.operation.OperationRefusedException;
import io.modbackup.cli.operation.Operations;
import io.modbackup.cli.operation.ProgressLine;
import io.modbackup.api.runtime.DepotSpec;
import io.modbackup.api.runtime.PStateSpec;
import io.modbackup.api.runtime.Parallelism;
import io.modbackup.api.runtime.TopologySpec;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.BackupOptions;
import io.modbackup.core.engine.BackupPage;
import io.modbackup.core.engine.BackupSummary;
import io.modbackup.core.engine.Progress;
import io.modbackup.core.engine.RestoreResult;
import io.modbackup.core.engine.CopyResult;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.core.engine.VerifySample;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.StoreLayout;
import java.io.PrintWriter;
import io.modbackup.core.seal.Compression;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The {@code backup} command, with Rama's interface:
 * {@code backup --action backup|list|info|restore|verify --module M --backupId ID --pageToken T
 * --threads N --workers N --replicationFactor N}, plus {@code gc} and {@code rotateKey --newKey K}. The
 * config file names the store ({@code backup.provider}) and may set {@code backup.compression} and
 * {@code backup.encryption.key}. Every error prints one line and exits non-zero; {@code --verbose} adds
 * the stack trace.
 */
@Command(name = "backup", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Back up, list, inspect, verify and restore module backups.")
public final class BackupCli implements Callable<Integer> {

    /** What the command can do. */
    enum Action {
        backup(true), list(false), info(false), restore(true), verify(false), gc(false), rotateKey(false), status(false),
        copy(false);

        /** Whether the action needs the cluster's live state (cuts, installs), not only its metadata. */
        final boolean needsLiveState;

        Action(boolean needsLiveState) {
            this.needsLiveState = needsLiveState;
        }
    }

    @Option(names = "--action", required = true, description = "backup, list, info, restore, verify, gc, rotateKey, copy or"
            + " status (the running and recent operations)")
    Action action;

    @Option(names = "--to", description = "config file of the store to copy to: its backup.provider, backup.compression and"
            + " backup.encryption.key (copy)")
    Path copyTo;

    @Option(names = "--module", description = "module name (backup, list; status: only its operations)")
    String module;

    @Option(names = "--backupId", description = "backup ID (info, restore, verify)")
    String backupId;

    @Option(names = "--pageToken", description = "token printed by the previous page (list)")
    String pageToken;

    @Option(names = "--pageSize", defaultValue = "20", description = "backups per page (list), default ${DEFAULT-VALUE}")
    int pageSize;

    @Option(names = "--threads", description = "threads for a module that is not running (restore)")
    Integer threads;

    @Option(names = "--workers", description = "workers for a module that is not running (restore)")
    Integer workers;

    @Option(names = "--replicationFactor", description = "replication factor (restore), default 1")
    Integer replicationFactor;

    @Option(names = "--deep", description = "download and re-hash every chunk; without it verify checks each chunk's presence and size (verify)")
    boolean deep;

    @Option(names = "--sample", description = "download and re-hash part n of t of the chunks, e.g. 1/7; parts 1/7 to 7/7"
            + " on seven runs read every chunk once (verify)")
    String sample;

    @Option(names = "--yes", description = "confirm a restore, which cannot be undone")
    boolean yes;

    @Option(names = "--safety-backup", description = "back up the running module before restoring it")
    boolean safetyBackup;

    @Option(names = "--dry-run", description = "list what gc would delete without deleting it (gc)")
    boolean dryRun;

    @Option(names = "--newKey", description = "the master key to rewrap the store's data key with, as backup.encryption.key"
            + " takes it: file:<path>, env:<VARIABLE> or a key provider class (rotateKey)")
    String newKey;

    @Option(names = "--takeover", description = "make this cluster the owner of the backup store first")
    boolean takeover;

    @Option(names = "--wait", description = "when another backup, restore or gc runs on the module, wait for it to"
            + " end instead of refusing")
    boolean waitForOthers;

    @Option(names = "--config", defaultValue = "modbackup.yaml", description = "config file with backup.provider, default ${DEFAULT-VALUE}")
    Path config;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    /** How many ended operations status shows. */
    private static final int STATUS_RECENT = 10;

    private final ClusterConnector connector;
    private PrintWriter out;
    private PrintWriter err;
    /** What the error wording names: the provider config and the cluster, once known. */
    private String providerConfig;
    /** Which config override and dynamic option values info shows redacted; read from the config. */
    private Redaction redaction;
    private String clusterId;
    /** The operation this command runs, once begun; its last line is its outcome. */
    private Operations.Running operation;
    private String outcome = "";
    /** Whether this command prints its own progress (no host renders it), and whether that line is open. */
    private boolean printsProgress;
    private boolean progressLineOpen;

    public BackupCli(ClusterConnector connector) {
        this.connector = connector;
    }

    /** Runs the command with {@code args}, printing to {@code out} and {@code err}; returns the exit code. */
    public static int run(ClusterConnector connector, String[] args, PrintWriter out, PrintWriter err) {
        BackupCli cli = new BackupCli(connector);
        cli.out = out;
        cli.err = err;
        CommandLine commandLine = new CommandLine(cli).setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("error: " + e.getMessage() + " (see --help)");
            err.flush();
            return 2;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cli.endProgressLine();
            err.println("error: " + cli.describe(e));
            if (cli.verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public Integer call() {
        Parallelism parallelism = parallelism();
        requireFlags();
        Map<String, String> settings = ConfigFile.read(config);
        // The CLI acts for the Conductor: its own provider (credentials that may delete) where the config names one.
        String conductors = settings.getOrDefault(ProviderLoader.CONDUCTOR_CONFIG_KEY, "").strip();
        providerConfig = conductors.isEmpty() ? settings.get(ProviderLoader.CONFIG_KEY) : conductors;
        redaction = Redaction.of(settings);
        if (action == Action.status) {
            try (ClusterConnector.Connection connection = connector.connect(settings, false)) {
                return status(connection.operations());
            }
        }
        if (providerConfig == null) {
            throw new BackupConfigException("config file " + config + " has no " + ProviderLoader.CONFIG_KEY
                    + ": add a line like " + ProviderLoader.CONFIG_KEY + ": \"<fully.qualified.Class> <argument>\"");
        }
        try (BackupProvider provider = new ProviderLoader().load(providerConfig);
             ClusterConnector.Connection connection = connector.connect(settings, action.needsLiveState);
             BackupEngine engine = new BackupEngine(connection.runtime(), provider,
                     connection.options().withStoreSettings(settings), connection.workers())) {
            clusterId = connection.runtime().clusterId();
            printsProgress = connection.session() == null;
            Operations operations = connection.operations() != null ? connection.operations()
                    : Operations.inMemory(Clock.systemUTC());
            operation = begin(operations, connection.session());
            try {
                if (takeover) {
                    String previous = engine.storeOwner().orElse("nobody");
                    engine.takeOwnership();
                    out.println("took ownership of the backup store from " + previous);
                }
                int code = switch (action) {
                    case gc -> gc(engine);
                    case backup -> backup(engine, module);
                    case list -> list(engine);
                    case info -> info(engine);
                    case restore -> restore(engine, parallelism);
                    case verify -> verify(engine);
                    case rotateKey -> rotateKey(engine);
                    case copy -> copy(engine, connection.options());
                    case status -> throw new IllegalStateException("status is handled before the store is opened");
                };
                if (operation != null) {
                    operation.succeeded(outcome);
                }
                return code;
            } catch (RuntimeException e) {
                if (operation != null) {
                    operation.failed(describe(e));
                }
                throw e;
            } finally {
                if (operation != null) {
                    operation.close();
                }
            }
        }
    }

    /**
     * Begins the operation this command is, or returns null for one that only reads metadata (list,
     * info). Mutating ones (backup, restore, gc, rotateKey) are refused, or wait with {@code --wait},
     * while another runs on their module; gc and rotateKey act on every module.
     */
    private Operations.Running begin(Operations operations, String session) {
        return switch (action) {
            case backup -> operations.begin("backup", module, "", "cli", true, waitForOthers, session);
            case restore -> operations.begin("restore", BackupId.parse(backupId).module(), backupId, "cli", true,
                    waitForOthers, session);
            case verify -> operations.begin("verify", BackupId.parse(backupId).module(), backupId, "cli", false, false,
                    session);
            case gc -> operations.begin("gc", Operations.ALL_MODULES, "", "cli", !dryRun, waitForOthers, session);
            case rotateKey -> operations.begin("rotateKey", Operations.ALL_MODULES, "", "cli", true, waitForOthers, session);
            case copy -> operations.begin("copy", backupId != null ? BackupId.parse(backupId).module() : module,
                    backupId != null ? backupId : "", "cli", false, false, session);
            case list, info, status -> null;
        };
    }

    /** Prints the command's result line, which is also its operation's outcome. */
    private void result(String line) {
        outcome = line;
        out.println(line);
    }

    private int status(Operations operations) {
        if (operations == null) {
            out.println("no operations: this host runs one command at a time");
            return 0;
        }
        long now = System.currentTimeMillis();
        List<OperationRecord> running = operations.running().stream()
                .filter(r -> module == null || r.module().equals(module) || r.module().equals(Operations.ALL_MODULES))
                .toList();
        if (running.isEmpty()) {
            out.println("no operation is running" + (module == null ? "" : " on module " + module));
        }
        for (OperationRecord r : running) {
            out.println("running    " + r.describe() + ", by " + r.origin());
            out.println("           " + ProgressLine.of(r, now));
        }
        List<OperationRecord> ended = operations.recent(module, STATUS_RECENT + running.size()).stream()
                .filter(r -> r.state().ended()).limit(STATUS_RECENT).toList();
        if (!ended.isEmpty()) {
            out.println("recent operations, newest first:");
        }
        for (OperationRecord r : ended) {
            out.printf("%-10s %s, by %s, took %s: %s%n", r.state().name().toLowerCase(Locale.ROOT), r.describe(), r.origin(),
                    ProgressLine.duration(r.endedMillis() - r.startedMillis()), r.outcome());
        }
        return 0;
    }

    private void requireFlags() {
        switch (action) {
            case backup, list -> require(module, "--module");
            case info, restore, verify -> require(backupId, "--backupId");
            case rotateKey -> require(newKey, "--newKey");
            case copy -> {
                if (copyTo == null) {
                    throw new IllegalArgumentException("--action copy needs --to FILE: the config file of the store to copy to");
                }
                if ((backupId == null) == (module == null)) {
                    throw new IllegalArgumentException("--action copy needs --backupId (one backup) or --module (every"
                            + " backup of the module), not both");
                }
            }
            default -> { }
        }
        if (pageSize < 1) {
            throw new IllegalArgumentException("--pageSize must be at least 1, got " + pageSize);
        }
        if (sample != null && (action != Action.verify || deep)) {
            throw new IllegalArgumentException(deep ? "--sample and --deep are exclusive: --deep reads every chunk"
                    : "--sample only applies to --action verify");
        }
        if (sample != null) {
            VerifySample.parse(sample);
        }
    }

    private void require(String value, String flag) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--action " + action + " needs " + flag);
        }
    }

    private Parallelism parallelism() {
        if (threads == null && workers == null && replicationFactor == null) {
            return null;
        }
        if (action != Action.restore) {
            throw new IllegalArgumentException("--threads, --workers and --replicationFactor only apply to --action restore");
        }
        if (threads == null || workers == null) {
            throw new IllegalArgumentException("give both --threads and --workers (and optionally --replicationFactor)");
        }
        return new Parallelism(threads, workers, replicationFactor == null ? 1 : replicationFactor);
    }

    private int backup(BackupEngine engine, String target) {
        ModuleManifest m = engine.backup(target, progressBar());
        endProgressLine();
        result(String.format(Locale.ROOT, "backup %s committed: %d files, %s, %s of new content, %s sent to the store,"
                + " %d ms", m.backupId(), m.totals().files(), bytes(m.totals().bytes()), bytes(m.totals().newBytes()),
                ProgressLine.bytesSent(m.totals().bytesSent()), m.totals().durationMillis()));
        return 0;
    }

    private int rotateKey(BackupEngine engine) {
        engine.requireStoreExists();
        io.modbackup.core.seal.StoreFormat rotated = engine.rotateKey(new io.modbackup.core.crypto.MasterKeys().load(newKey));
        result("the store's data key is now wrapped by master key " + rotated.encryption().keyId() + " (was "
                + rotated.encryption().previousKeyId() + "); no chunk or manifest was rewritten. Set "
                + io.modbackup.core.crypto.MasterKeys.CONFIG_KEY + " to the new key in every Conductor's and Supervisor's"
                + " config before they restart");
        return 0;
    }

    private int list(BackupEngine engine) {
        BackupPage page = engine.list(module, pageToken, pageSize);
        if (page.backups().isEmpty()) {
            engine.requireStoreExists();
            out.println("no backups of " + module);
        }
        for (BackupSummary b : page.backups()) {
            out.printf("%s  %s  size %10s  new %10s  sent %10s  %6d ms%n", b.backupId(),
                    Instant.ofEpochMilli(b.createdMillis()), bytes(b.bytes()), bytes(b.newBytes()), ProgressLine.bytesSent(b.bytesSent()),
                    b.durationMillis());
        }
        if (page.nextPageToken() != null) {
            out.println("next page: --pageToken " + page.nextPageToken());
        }
        return 0;
    }

    private int info(BackupEngine engine) {
        ModuleManifest m = inStore(engine, backupId);
        out.println("backup      " + m.backupId());
        out.println("module      " + m.module() + " (" + m.descriptor().taskCount() + " tasks)");
        out.println("cluster     " + m.clusterId());
        out.println("created     " + Instant.ofEpochMilli(m.createdMillis()) + ", took " + m.totals().durationMillis() + " ms");
        out.println("size        " + bytes(m.totals().bytes()) + " in " + m.totals().files() + " files");
        out.println("new content " + bytes(m.totals().newBytes()) + " (file content the backup it built on did not hold)");
        out.println("sent        " + ProgressLine.bytesSent(m.totals().bytesSent()) + " to the store (chunks and manifests, as stored)");
        for (DepotSpec depot : m.descriptor().depots()) {
            out.println("depot       " + depot.name());
        }
        for (TopologySpec topology : m.descriptor().topologies()) {
            Long commit = m.commitIds().get(topology.name());
            out.println("topology    " + topology.name() + " (" + topology.kind().name().toLowerCase(Locale.ROOT)
                    + (commit == null ? "" : ", commit ID " + commit) + ") subscribes to " + topology.subscriptions());
        }
        for (PStateSpec pstate : m.descriptor().pstates()) {
            out.println("pstate      " + pstate.name() + " of topology " + pstate.topology());
        }
        m.descriptor().dependencies().forEach(d -> out.println("depends on  " + d));
        new java.util.TreeMap<>(m.descriptor().configOverrides())
                .forEach((k, v) -> out.println("config      " + k + " = " + redaction.shown(k, v)));
        new java.util.TreeMap<>(m.descriptor().dynamicOptions())
                .forEach((k, v) -> out.println("dynamic     " + k + " = " + redaction.shown(k, v)));
        out.println("jar         " + m.jar().path() + " (" + bytes(m.jar().size()) + ", sha256 " + m.jar().sha256() + ")");
        return 0;
    }

    private int restore(BackupEngine engine, Parallelism parallelism) {
        if (!yes) {
            throw new IllegalArgumentException("a restore cannot be undone: re-run with --yes to restore " + backupId
                    + " (add --safety-backup to back up the module first)");
        }
        if (safetyBackup) {
            String target = BackupId.parse(backupId).module();
            out.print("safety ");
            backup(engine, target);
        }
        inStore(engine, backupId);
        RestoreResult r = engine.restore(backupId, parallelism, progressBar());
        endProgressLine();
        result(String.format(Locale.ROOT, "restored %s: %d files, %s, restore epoch %d, %d ms (%d ms staging, %d ms"
                + " install)", r.backupId(), r.files(), bytes(r.bytes()), r.marker().epoch(), r.durationMillis(),
                r.stagingMillis(), r.durationMillis() - r.stagingMillis()));
        return 0;
    }

    private int gc(BackupEngine engine) {
        GcReport report = engine.gc(dryRun);
        String verb = dryRun ? "would delete" : "deleted";
        result(String.format(Locale.ROOT, "gc%s: %s %d backups, kept %d; %s %d chunks and %d manifests, %s",
                dryRun ? " (dry run)" : "", verb, report.deletedBackups().size(), report.keptBackups(), verb,
                report.deletedChunks(), report.deletedManifests(), bytes(report.freedBytes()) + (dryRun ? " to free" : " freed")));
        out.printf("  read %d manifests in %d ms%s%n", report.manifestsRead(), report.durationMillis(),
                dryRun ? "" : ", backups held off for the last " + report.exclusiveMillis() + " ms");
        report.deletedBackups().forEach(id -> out.println("  " + verb + " " + id));
        if (report.locked().any()) {
            out.println("  kept by the store's Object Lock: " + report.locked().describe());
        }
        return 0;
    }

    /**
     * Copies one backup, or every backup of a module oldest first, into the store {@code --to} names; each
     * is listed there only once complete, so a copy stopped half-way is run again.
     */
    private int copy(BackupEngine engine, BackupOptions options) {
        Map<String, String> target = ConfigFile.read(copyTo);
        String targetProvider = target.get(ProviderLoader.CONFIG_KEY);
        if (targetProvider == null) {
            throw new BackupConfigException("config file " + copyTo + " has no " + ProviderLoader.CONFIG_KEY
                    + ": it names the store to copy to, e.g. " + ProviderLoader.CONFIG_KEY + ": \"<fully.qualified.Class> <argument>\"");
        }
        if (targetProvider.strip().equals(providerConfig.strip())) {
            throw new IllegalArgumentException("--to " + copyTo + " names the store the backups are in; name another store");
        }
        List<String> ids = new ArrayList<>();
        if (backupId != null) {
            inStore(engine, backupId);
            ids.add(backupId);
        } else {
            String token = null;
            do {
                BackupPage page = engine.list(module, token, 100);
                page.backups().forEach(b -> ids.add(b.backupId()));
                token = page.nextPageToken();
            } while (token != null);
            java.util.Collections.reverse(ids); // oldest first: each builds on what the last one sent
        }
        long sent = 0;
        int copied = 0;
        try (BackupProvider provider = new ProviderLoader().load(targetProvider)) {
            // The target's own settings: none of the source's key or compression carries over.
            BackupOptions targetOptions = options.withMasterKey(null).withCompression(Compression.DEFAULT)
                    .withStoreSettings(target);
            for (String id : ids) {
                CopyResult r = engine.copy(id, provider, targetOptions);
                out.println(r.alreadyThere() ? "  " + id + ": already in the target"
                        : String.format(Locale.ROOT, "  %s: %d files, %d chunks sent, %s", id, r.files(), r.chunksSent(),
                        bytes(r.bytesSent())));
                sent += r.bytesSent();
                copied += r.alreadyThere() ? 0 : 1;
            }
        }
        result(String.format(Locale.ROOT, "copied %d of %d backups to %s, %s sent", copied, ids.size(), copyTo, bytes(sent)));
        return 0;
    }

    private int verify(BackupEngine engine) {
        inStore(engine, backupId);
        VerifyReport report = sample != null ? engine.verify(backupId, VerifySample.parse(sample)) : engine.verify(backupId, deep);
        if (report.ok()) {
            String checked = deep ? "re-hashed" : report.sample() == null ? "present"
                    : String.format(Locale.ROOT, "present, %d of them (%s, part %s) re-hashed", report.chunksRead(),
                    bytes(report.bytesRead()), report.sample());
            result(String.format(Locale.ROOT, "backup %s verified: %d task manifests, %d files, %d chunks %s", backupId,
                    report.taskManifests(), report.files(), report.chunks(), checked));
            return 0;
        }
        report.problems().forEach(p -> out.println("problem: " + p));
        throw new IllegalStateException("backup " + backupId + " failed verification with " + report.problems().size()
                + " problem(s)");
    }

    /** The backup's manifest; a store never written to is named as such rather than as missing one backup. */
    private static ModuleManifest inStore(BackupEngine engine, String id) {
        try {
            return engine.info(id);
        } catch (BackupException e) {
            if (e.problem() == Problem.UNKNOWN_BACKUP) {
                engine.requireStoreExists();
            }
            throw e;
        }
    }

    /** Records progress on the operation, and prints it on one updating line when no host renders it. */
    private Progress.Observer progressBar() {
        return p -> {
            if (operation != null) {
                operation.progress(p);
            }
            if (printsProgress) {
                synchronized (this) {
                    err.printf("\r%s: %d/%d tasks, %s of %s%s", p.operation(), p.tasksDone(), p.tasksTotal(),
                            bytes(p.bytesDone()), bytes(p.bytesTotal()), p.bytesPerSecondLimit() > 0
                                    ? " (limited to " + bytes(p.bytesPerSecondLimit()) + "/s per Supervisor)" : "");
                    err.flush();
                    progressLineOpen = true;
                }
            }
        };
    }

    /** Ends an open progress line, so that what follows (a result, an error) starts a line of its own. */
    private synchronized void endProgressLine() {
        if (progressLineOpen) {
            err.println();
            progressLineOpen = false;
        }
    }

    static String bytes(long n) {
        return ProgressLine.bytes(n);
    }

    /** The error as one line in the CLI's words: the engine's facts, with this command's flags as the remedy. */
    String describe(Throwable e) {
        if (e instanceof OperationRefusedException refused) {
            String of = refused.running() == null || refused.running().module().equals(Operations.ALL_MODULES)
                    ? "" : " --module " + refused.running().module();
            return refused.getMessage() + ": follow it with bin/backup --action status" + of
                    + ", or add --wait to start once it ends";
        }
        if (e instanceof BackupException backup) {
            String subject = backup.subject();
            switch (backup.problem()) {
                case UNKNOWN_BACKUP -> {
                    String of = BackupId.parse(subject).module();
                    return "no backup " + subject + " in the store; list the backups of module " + of
                            + " with --action list --module " + of;
                }
                case PARALLELISM_NOT_APPLICABLE -> {
                    return "module " + subject + " is running: --threads, --workers and --replicationFactor apply only"
                            + " to a module that is not running; restore it without them to keep its parallelism";
                }
                case PARALLELISM_REQUIRED -> {
                    return "module " + subject + " is not running: give --threads, --workers and optionally"
                            + " --replicationFactor to restore it";
                }
                case STORE_OWNED_ELSEWHERE -> {
                    return "the backup store belongs to another cluster (its " + StoreLayout.OWNER_KEY
                            + " names " + subject + ", this is " + clusterId + "); give each cluster its own "
                            + ProviderLoader.CONFIG_KEY + ", or take the store over with --takeover if this cluster"
                            + " replaces that one";
                }
                case STORE_EMPTY -> {
                    return "the backup store \"" + providerConfig + "\" holds no backups (it has no " + subject
                            + "): nothing was backed up to it yet, or " + ProviderLoader.CONFIG_KEY + " in " + config
                            + " names the wrong location";
                }
                default -> {
                    return oneLine(e);
                }
            }
        }
        return oneLine(e);
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.CompletionException)) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.replace('\n', ' ');
    }
}
