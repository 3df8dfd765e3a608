package io.modbackup.cli.schedule;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.ModuleDescriptor;
import io.modbackup.cli.operation.OperationRefusedException;
import io.modbackup.cli.operation.Operations;
import io.modbackup.core.async.DaemonThreads;
import io.modbackup.core.engine.BackupEngine;
import io.modbackup.core.engine.VerifyReport;
import io.modbackup.core.engine.VerifySample;
import io.modbackup.core.gc.GcReport;
import io.modbackup.core.gc.RetentionPolicy;
import io.modbackup.core.manifest.ModuleManifest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs backups every {@code backup.period.seconds}, GC every {@code backup.gc.period.seconds}, and a
 * sampled verify of the newest backup every {@code backup.verify.period.seconds} (part n of
 * {@code backup.verify.sample.parts}, default 7, n advancing with each period, so that that many runs
 * re-hash every chunk once), all dynamic options of a module: each {@link #tick()} reads them afresh, so
 * a change applies without a restart; absent or 0 means off. A run still going when the next is due makes the next one skip
 * (logged and counted), never queue or overlap. Each run is an operation of the host's
 * {@link Operations}: one refused because a backup, restore or GC of the CLI runs on its module is
 * skipped the same way.
 */
public final class BackupScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackupScheduler.class);
    public static final String PERIOD_SECONDS = "backup.period.seconds";
    /** How often the newest backup of a module gets a sampled verify. */
    public static final String VERIFY_PERIOD_SECONDS = "backup.verify.period.seconds";
    /** Into how many parts the sampled verifies cut the chunks: every chunk is re-hashed once in that many runs. */
    public static final String VERIFY_SAMPLE_PARTS = "backup.verify.sample.parts";
    static final int DEFAULT_VERIFY_PARTS = 7;

    private final BackupEngine engine;
    private final ClusterRuntime runtime;
    private final Clock clock;
    private final BackupMetrics metrics;
    private final ExecutorService runs;
    private final Operations operations;
    private final Map<String, Slot> backups = new ConcurrentHashMap<>();
    private final Map<String, Slot> verifies = new ConcurrentHashMap<>();
    private final Slot gc = new Slot();
    private ScheduledExecutorService ticker;

    /** The state of one schedule: when it last started and what is running. */
    private static final class Slot {
        volatile long lastStartMillis = -1;
        volatile Future<?> running;
        volatile long periodSeconds;

        boolean busy() {
            Future<?> f = running;
            return f != null && !f.isDone();
        }
    }

    /**
     * A module's schedule as the UI shows it.
     *
     * @param periodSeconds the backup period in force, 0 when off
     * @param lastStartMillis when the last scheduled backup started, or -1
     * @param nextRunMillis when the next one is due, or -1 when off
     * @param running whether a scheduled backup is running now
     */
    public record ScheduleStatus(long periodSeconds, long lastStartMillis, long nextRunMillis, boolean running) {
    }

    /** A scheduler whose runs only keep apart from each other: for a host with no other operations. */
    public BackupScheduler(BackupEngine engine, ClusterRuntime runtime, Clock clock, BackupMetrics metrics) {
        this(engine, runtime, clock, metrics, Operations.inMemory(clock));
    }

    /** A scheduler whose runs are operations of {@code operations}, beside the host's other ones. */
    public BackupScheduler(BackupEngine engine, ClusterRuntime runtime, Clock clock, BackupMetrics metrics,
                           Operations operations) {
        this.operations = operations;
        this.engine = engine;
        this.runtime = runtime;
        this.clock = clock;
        this.metrics = metrics;
        this.runs = Executors.newCachedThreadPool(DaemonThreads.named("modbackup-scheduled-"));
    }

    /** Ticks every {@code interval} on a background thread until {@link #close()}. */
    public synchronized void start(Duration interval) {
        if (ticker == null) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "modbackup-scheduler");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleWithFixedDelay(this::tickQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.warn("backup scheduler tick failed: {}", e.toString());
        }
    }

    /** Starts every backup and GC that is due now. Returns immediately; the runs go on other threads. */
    public void tick() {
        long now = clock.millis();
        long gcPeriod = 0;
        for (String module : runtime.moduleNames()) {
            Optional<ModuleDescriptor> descriptor = runtime.describe(module);
            if (descriptor.isEmpty()) {
                continue;
            }
            Map<String, String> options = descriptor.get().dynamicOptions();
            long period = seconds(module, PERIOD_SECONDS, options.get(PERIOD_SECONDS));
            long modulePeriodGc = seconds(module, RetentionPolicy.GC_PERIOD_SECONDS, options.get(RetentionPolicy.GC_PERIOD_SECONDS));
            if (modulePeriodGc > 0) {
                gcPeriod = gcPeriod == 0 ? modulePeriodGc : Math.min(gcPeriod, modulePeriodGc);
            }
            scheduleVerify(module, options, now);
            Slot slot = backups.computeIfAbsent(module, m -> new Slot());
            slot.periodSeconds = period;
            if (period > 0 && descriptor.get().running() && due(slot, period, now)) {
                if (slot.busy()) {
                    log.info("skipping the scheduled backup of {}: the previous one is still running", module);
                    metrics.backupSkipped(module, now);
                    slot.lastStartMillis = now;
                } else {
                    slot.lastStartMillis = now;
                    slot.running = runs.submit(() -> runBackup(module));
                }
            }
        }
        gc.periodSeconds = gcPeriod;
        if (gcPeriod > 0 && due(gc, gcPeriod, now) && !gc.busy()) {
            gc.lastStartMillis = now;
            gc.running = runs.submit(this::runGc);
        }
    }

    private void scheduleVerify(String module, Map<String, String> options, long now) {
        long period = seconds(module, VERIFY_PERIOD_SECONDS, options.get(VERIFY_PERIOD_SECONDS));
        Slot slot = verifies.computeIfAbsent(module, m -> new Slot());
        slot.periodSeconds = period;
        if (period <= 0 || !due(slot, period, now) || slot.busy()) {
            return;
        }
        int parts;
        try {
            String value = options.get(VERIFY_SAMPLE_PARTS);
            parts = value == null || value.isBlank() ? DEFAULT_VERIFY_PARTS : Integer.parseInt(value.strip());
            new VerifySample(1, parts);
        } catch (IllegalArgumentException e) {
            log.warn("not verifying {}: dynamic option {} is not a whole number from 1 to {}", module, VERIFY_SAMPLE_PARTS,
                    VerifySample.MAX_PARTS);
            return;
        }
        slot.lastStartMillis = now;
        // The part follows the clock, not a counter: a restarted host goes on with the rotation.
        VerifySample sample = VerifySample.forRun(now / (period * 1000), parts);
        slot.running = runs.submit(() -> runVerify(module, sample));
    }

    private void runVerify(String module, VerifySample sample) {
        List<io.modbackup.core.engine.BackupSummary> newest;
        try {
            newest = engine.list(module, null, 1).backups();
        } catch (RuntimeException e) {
            log.warn("scheduled verify of {} could not list its backups: {}", module, e.getMessage());
            return;
        }
        if (newest.isEmpty()) {
            return;
        }
        String backupId = newest.get(0).backupId();
        Operations.Running operation;
        try {
            operation = operations.begin("verify", module, backupId, "scheduler", false, false, null);
        } catch (OperationRefusedException e) {
            log.info("skipping the scheduled verify of {}: {}", module, e.getMessage());
            return;
        }
        try (operation) {
            VerifyReport report = engine.verify(backupId, sample);
            metrics.verifyCompleted(module, clock.millis(), report);
            String outcome = "verify of " + backupId + " part " + sample + ": " + report.chunksRead() + " of "
                    + report.chunks() + " chunks re-hashed, " + report.problems().size() + " problem(s)";
            if (report.ok()) {
                operation.succeeded(outcome);
            } else {
                log.warn("scheduled {}; first: {}", outcome, report.problems().get(0));
                operation.failed(outcome + "; first: " + report.problems().get(0));
            }
        } catch (RuntimeException e) {
            log.warn("scheduled verify of {} failed: {}", module, e.getMessage());
            operation.failed(String.valueOf(e.getMessage()));
        }
    }

    private static boolean due(Slot slot, long periodSeconds, long now) {
        return slot.lastStartMillis < 0 || now - slot.lastStartMillis >= periodSeconds * 1000;
    }

    private void runBackup(String module) {
        Operations.Running operation;
        try {
            operation = operations.begin("backup", module, "", "scheduler", true, false, null);
        } catch (OperationRefusedException e) {
            log.info("skipping the scheduled backup of {}: {}", module, e.getMessage());
            metrics.backupSkipped(module, clock.millis());
            return;
        }
        try (operation) {
            ModuleManifest m = engine.backup(module, operation::progress);
            metrics.backupSucceeded(module, m.backupId(), m.completedMillis(), m.totals().durationMillis(), m.totals().bytesSent());
            operation.succeeded("backup " + m.backupId() + " committed: " + m.totals().files() + " files");
        } catch (RuntimeException e) {
            log.warn("scheduled backup of {} failed: {}", module, e.getMessage());
            metrics.backupFailed(module, clock.millis(), e.getMessage());
            operation.failed(String.valueOf(e.getMessage()));
        }
    }

    private void runGc() {
        Operations.Running operation;
        try {
            operation = operations.begin("gc", Operations.ALL_MODULES, "", "scheduler", true, false, null);
        } catch (OperationRefusedException e) {
            log.info("skipping the scheduled backup GC: {}", e.getMessage());
            return;
        }
        try (operation) {
            GcReport report = engine.gc(false);
            metrics.gcCompleted(clock.millis(), report);
            operation.succeeded("gc deleted " + report.deletedBackups().size() + " backups and "
                    + report.deletedChunks() + " chunks");
        } catch (RuntimeException e) {
            log.warn("scheduled backup GC failed: {}", e.getMessage());
            operation.failed(String.valueOf(e.getMessage()));
        }
    }

    /** The schedule of {@code module} now. */
    public ScheduleStatus status(String module) {
        Slot slot = backups.get(module);
        if (slot == null) {
            return new ScheduleStatus(0, -1, -1, false);
        }
        long next = slot.periodSeconds <= 0 ? -1
                : slot.lastStartMillis < 0 ? clock.millis() : slot.lastStartMillis + slot.periodSeconds * 1000;
        return new ScheduleStatus(slot.periodSeconds, slot.lastStartMillis, next, slot.busy());
    }

    /** Waits until no scheduled run is in progress (for tests and orderly shutdown). */
    public void awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (backups.values().stream().noneMatch(Slot::busy) && verifies.values().stream().noneMatch(Slot::busy)
                    && !gc.busy()) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("scheduled runs still going after " + timeout);
    }

    private final Map<String, String> warned = new ConcurrentHashMap<>();

    private long seconds(String module, String option, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            long n = Long.parseLong(value.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        if (!value.equals(warned.put(module + "/" + option, value))) {
            log.warn("module {}: dynamic option {}={} is not a whole number of seconds; treated as off", module, option, value);
        }
        return 0;
    }

    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        runs.shutdown();
    }
}
