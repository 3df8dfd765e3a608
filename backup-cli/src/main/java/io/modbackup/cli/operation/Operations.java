package io.modbackup.cli.operation;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modbackup.core.engine.Progress;
import io.modbackup.core.fs.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations a Conductor runs, and the rule that keeps them apart: at most one <em>mutating</em>
 * operation (backup, restore, GC, key rotation) per module at a time, where one on the whole store (GC,
 * key rotation) counts as one on every module. A second is refused with the running one named, or
 * waits for it when asked to. Reads (verify) run beside anything.
 *
 * <p>The history keeps the running operations and the newest {@code maxHistory} ended ones; it is
 * written to its file (atomically, owner-only) whenever an operation begins or ends, so it survives a
 * restart, where operations that were running are recorded as {@link OperationRecord.State#INTERRUPTED}.
 * Progress lives in memory only. Thread-safe.
 */
public final class Operations {
    private static final Logger log = LoggerFactory.getLogger(Operations.class);
    /** The module of an operation on the whole store. */
    public static final String ALL_MODULES = "*";
    /** How many ended operations the history keeps by default. */
    public static final int DEFAULT_HISTORY = 500;
    /** The largest history file read back: 500 records are about 200 KiB. */
    private static final long MAX_FILE_BYTES = 16L << 20;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path file;
    private final Clock clock;
    private final int maxHistory;
    /** Oldest first. */
    private final LinkedHashMap<String, OperationRecord> records = new LinkedHashMap<>();
    private final Map<String, String> bySession = new HashMap<>();
    private long lastNumber;

    /**
     * The history in {@code file} (null: in memory only), keeping {@code maxHistory} ended operations.
     * Operations the file records as running were cut short by the process's end: they are marked
     * interrupted.
     */
    public Operations(Path file, Clock clock, int maxHistory) {
        if (maxHistory < 1) {
            throw new IllegalArgumentException("maxHistory must be at least 1, got " + maxHistory);
        }
        this.file = file;
        this.clock = clock;
        this.maxHistory = maxHistory;
        if (file != null) {
            load();
        }
    }

    /** A history in memory only, for a process whose operations need not outlive it. */
    public static Operations inMemory(Clock clock) {
        return new Operations(null, clock, DEFAULT_HISTORY);
    }

    /**
     * Begins an operation.
     *
     * @param module the module, or {@link #ALL_MODULES}
     * @param subject the backup it reads, or ""
     * @param origin "cli" or "scheduler"
     * @param wait when another mutating operation is in the way: wait for it to end (true) or refuse (false)
     * @param session the CLI session that runs it, to find it by ({@link #ofSession}), or null
     * @throws OperationRefusedException naming the operation in the way, when {@code wait} is false
     */
    public Running begin(String kind, String module, String subject, String origin, boolean mutating, boolean wait,
                         String session) {
        synchronized (this) {
            if (mutating) {
                for (OperationRecord blocker = blocker(module); blocker != null; blocker = blocker(module)) {
                    if (!wait) {
                        throw new OperationRefusedException((module.equals(ALL_MODULES) ? "the store" : "module " + module)
                                + " has operation " + blocker.describe() + " running", blocker);
                    }
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new OperationRefusedException("interrupted while waiting for " + blocker.describe(), blocker);
                    }
                }
            }
            String id = "op-" + (++lastNumber);
            OperationRecord record = new OperationRecord(id, kind, module, subject == null ? "" : subject, origin, mutating,
                    OperationRecord.State.RUNNING, clock.millis(), -1, null, "");
            records.put(id, record);
            if (session != null) {
                bySession.put(session, id);
            }
            save();
            return new Running(id);
        }
    }

    /** The running mutating operation that keeps one on {@code module} from starting, or null. */
    private OperationRecord blocker(String module) {
        for (OperationRecord r : records.values()) {
            if (r.state() == OperationRecord.State.RUNNING && r.mutating()
                    && (r.module().equals(module) || r.module().equals(ALL_MODULES) || module.equals(ALL_MODULES))) {
                return r;
            }
        }
        return null;
    }

    /** An operation that runs; ending it ({@link #succeeded}, {@link #failed}) records its outcome once. */
    public final class Running implements AutoCloseable {
        private final String id;

        private Running(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** Records its latest progress. Quick; called from engine threads. */
        public void progress(Progress progress) {
            synchronized (Operations.this) {
                OperationRecord r = records.get(id);
                if (r != null && r.state() == OperationRecord.State.RUNNING) {
                    records.put(id, r.withProgress(progress));
                }
            }
        }

        public void succeeded(String outcome) {
            end(OperationRecord.State.SUCCEEDED, outcome);
        }

        public void failed(String outcome) {
            end(OperationRecord.State.FAILED, outcome);
        }

        /** Ends it as failed if nothing ended it. */
        @Override
        public void close() {
            end(OperationRecord.State.FAILED, "ended without an outcome");
        }

        private void end(OperationRecord.State state, String outcome) {
            synchronized (Operations.this) {
                OperationRecord r = records.get(id);
                if (r == null || r.state().ended()) {
                    return;
                }
                records.put(id, r.ended(state, clock.millis(), outcome.replace('\n', ' ')));
                trim();
                save();
                Operations.this.notifyAll();
            }
        }
    }

    /** The operations running now, oldest first. */
    public synchronized List<OperationRecord> running() {
        return records.values().stream().filter(r -> r.state() == OperationRecord.State.RUNNING).toList();
    }

    /** Up to {@code limit} operations of {@code module} (null: of any), newest first, running ones included. */
    public synchronized List<OperationRecord> recent(String module, int limit) {
        List<OperationRecord> all = new ArrayList<>(records.values());
        List<OperationRecord> recent = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0 && recent.size() < limit; i--) {
            OperationRecord r = all.get(i);
            if (module == null || r.module().equals(module) || r.module().equals(ALL_MODULES)) {
                recent.add(r);
            }
        }
        return recent;
    }

    /** The operation {@code id}, while the history holds it. */
    public synchronized Optional<OperationRecord> get(String id) {
        return Optional.ofNullable(records.get(id));
    }

    /** The newest operation begun by CLI session {@code session}, while the history holds it. */
    public synchronized Optional<OperationRecord> ofSession(String session) {
        return Optional.ofNullable(bySession.get(session)).map(records::get);
    }

    /** Forgets which operation a session ran (the session ended and its client has read it). */
    public synchronized void endSession(String session) {
        bySession.remove(session);
    }

    private void trim() {
        long ended = records.values().stream().filter(r -> r.state().ended()).count();
        var it = records.values().iterator();
        while (ended > maxHistory && it.hasNext()) {
            if (it.next().state().ended()) {
                it.remove();
                ended--;
            }
        }
    }

    private void save() {
        if (file == null) {
            return;
        }
        try {
            PrivateFiles.createDirectories(file.getParent());
            Path temp = Files.createTempFile(file.getParent(), "operations", ".tmp", PrivateFiles.fileAttribute());
            JSON.writeValue(temp.toFile(), new ArrayList<>(records.values()));
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // The operation goes on; only its record may not survive a restart.
            log.warn("cannot write the operation history {}: {}", file, e.toString());
        }
    }

    private void load() {
        if (!Files.isRegularFile(file)) {
            return;
        }
        List<OperationRecord> loaded;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
            }
            loaded = JSON.readValue(file.toFile(), new TypeReference<List<OperationRecord>>() { });
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring the unreadable operation history {} (a new one replaces it): {}", file, e.toString());
            return;
        }
        long now = clock.millis();
        for (OperationRecord r : loaded) {
            if (r == null || r.id() == null || r.kind() == null || r.module() == null || r.state() == null) {
                continue;
            }
            OperationRecord kept = r.state() == OperationRecord.State.RUNNING
                    ? r.ended(OperationRecord.State.INTERRUPTED, now, "the Conductor stopped while it ran; its outcome is"
                    + " unknown" + (r.kind().equals("restore") ? ": check the module, and run the restore again if needed" : ""))
                    : r;
            records.put(kept.id(), new OperationRecord(kept.id(), kept.kind(), kept.module(),
                    kept.subject() == null ? "" : kept.subject(), kept.origin() == null ? "" : kept.origin(), kept.mutating(),
                    kept.state(), kept.startedMillis(), kept.endedMillis(), kept.progress(),
                    kept.outcome() == null ? "" : kept.outcome()));
            lastNumber = Math.max(lastNumber, number(kept.id()));
        }
        trim();
        save();
    }

    private static long number(String id) {
        try {
            return id.startsWith("op-") ? Long.parseLong(id.substring(3)) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
