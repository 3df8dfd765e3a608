package io.modbackup.sim;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The PStates of one topology on one task: one real RocksDB with a column family per PState and the
 * topology's progress (commit ID, processed offsets, restore epochs seen) in the default column
 * family, so a batch's PState writes and its progress commit atomically in one write batch. A small
 * write buffer makes RocksDB create, compact and delete SST files as a real deployment would, only
 * sooner.
 *
 * <p>Thread-safe. Every call holds the read side of {@link #state}; {@link #close} takes the write
 * side, so it waits for the calls in progress, and a call after it fails with
 * {@link IllegalStateException} instead of reaching a freed native handle, which aborts the whole
 * JVM ("pthread lock: Invalid argument"; a microbatch step racing a module's close did that in CI).
 */
@SuppressWarnings("try") // a Use is held for its scope, never referenced
public final class PStateStore implements AutoCloseable {
    private static final String COMMIT_KEY = "commit";
    private static final String OFFSET_PREFIX = "offset|";
    private static final String EPOCH_PREFIX = "epoch|";

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final Map<String, ColumnFamilyHandle> handles;
    private final List<ColumnFamilyHandle> allHandles;
    private final WriteOptions writeOptions = new WriteOptions();
    private final ReentrantReadWriteLock state = new ReentrantReadWriteLock();
    private boolean closed;
    private final PStatePins pins;

    /** The progress stored with a topology's PStates on one task. */
    public record Progress(long commitId, Map<String, Long> processedOffsets, Map<String, Long> epochsSeen) {
        public Progress {
            processedOffsets = Map.copyOf(processedOffsets);
            epochsSeen = Map.copyOf(epochsSeen);
        }

        /** Processed offset of a depot partition, 0 when nothing was processed yet. */
        public long offset(String depotModule, String depot, int partition) {
            return processedOffsets.getOrDefault(offsetKey(depotModule, depot, partition), 0L);
        }

        /** The restore epoch of {@code module} last seen, 0 when none. */
        public long epochSeen(String module) {
            return epochsSeen.getOrDefault(module, 0L);
        }
    }

    private PStateStore(Path dir, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions cfOptions,
                        List<String> names, List<ColumnFamilyHandle> allHandles) {
        this.dir = dir;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.allHandles = allHandles;
        this.pins = new PStatePins(dir, this::enableFileDeletions);
        this.handles = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            handles.put(names.get(i), allHandles.get(i));
        }
    }

    /** Opens (creating if absent) the store in {@code dir} with the given PStates. */
    public static PStateStore open(Path dir, List<String> pstates) {
        return open(dir, pstates, false);
    }

    /** Opens an existing store read-only, with whatever PStates it has; for checking state. */
    public static PStateStore openReadOnly(Path dir) {
        try (Options options = new Options()) {
            List<String> names = new ArrayList<>();
            for (byte[] name : RocksDB.listColumnFamilies(options, dir.toString())) {
                String n = new String(name, StandardCharsets.UTF_8);
                if (!n.equals("default")) {
                    names.add(n);
                }
            }
            return open(dir, names, true);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read PState store " + dir + ": " + e.getMessage(), e);
        }
    }

    private static PStateStore open(Path dir, List<String> pstates, boolean readOnly) {
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setKeepLogFileNum(2)
                // Table files open lazily: opening every SST up front made a reopen (and a restore) slow.
                .setMaxOpenFiles(256);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions()
                .setWriteBufferSize(64 * 1024)
                .setMaxWriteBufferNumber(2)
                .setLevel0FileNumCompactionTrigger(3)
                .setTargetFileSizeBase(256 * 1024)
                .setMaxBytesForLevelBase(1024 * 1024);
        List<String> names = new ArrayList<>();
        names.add("default");
        names.addAll(pstates);
        List<ColumnFamilyDescriptor> descriptors = names.stream()
                .map(n -> new ColumnFamilyDescriptor(n.getBytes(StandardCharsets.UTF_8), cfOptions)).toList();
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            if (!readOnly) {
                Files.createDirectories(dir);
            }
            RocksDB db = readOnly
                    ? RocksDB.openReadOnly(dbOptions, dir.toString(), descriptors, handles)
                    : RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new PStateStore(dir, db, dbOptions, cfOptions, names, handles);
        } catch (RocksDBException | java.io.IOException e) {
            dbOptions.close();
            cfOptions.close();
            throw new IllegalStateException("cannot open PState store " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Key of a depot partition's processed offset. */
    public static String offsetKey(String depotModule, String depot, int partition) {
        return depotModule + "/" + depot + "/" + partition;
    }

    /** The stored progress. */
    public Progress progress() {
        long commitId = 0;
        Map<String, Long> offsets = new HashMap<>();
        Map<String, Long> epochs = new HashMap<>();
        try (Use use = use(); RocksIterator it = db.newIterator(handles.get("default"))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                long value = Long.parseLong(new String(it.value(), StandardCharsets.UTF_8));
                if (key.equals(COMMIT_KEY)) {
                    commitId = value;
                } else if (key.startsWith(OFFSET_PREFIX)) {
                    offsets.put(key.substring(OFFSET_PREFIX.length()), value);
                } else if (key.startsWith(EPOCH_PREFIX)) {
                    epochs.put(key.substring(EPOCH_PREFIX.length()), value);
                }
            }
        }
        return new Progress(commitId, offsets, epochs);
    }

    /** The value of {@code key} in {@code pstate}, or null. */
    public String get(String pstate, String key) {
        try (Use use = use()) {
            byte[] value = db.get(handle(pstate), key.getBytes(StandardCharsets.UTF_8));
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read " + pstate + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every key and value of {@code pstate}, sorted. */
    public SortedMap<String, String> content(String pstate) {
        SortedMap<String, String> content = new TreeMap<>();
        try (Use use = use(); RocksIterator it = db.newIterator(handle(pstate))) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                content.put(new String(it.key(), StandardCharsets.UTF_8), new String(it.value(), StandardCharsets.UTF_8));
            }
        }
        return content;
    }

    /** The PState names this store holds. */
    public List<String> pstateNames() {
        return handles.keySet().stream().filter(n -> !n.equals("default")).sorted().toList();
    }

    /**
     * Atomically writes PState updates with the new progress: processed offsets, restore epochs seen,
     * and the commit ID when not {@code null}.
     */
    public void commit(Map<String, Map<String, String>> updates, Map<String, Long> offsets, Map<String, Long> epochs,
                       Long commitId) {
        try (Use use = use(); WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<String, Map<String, String>> pstate : updates.entrySet()) {
                ColumnFamilyHandle handle = handle(pstate.getKey());
                for (Map.Entry<String, String> kv : pstate.getValue().entrySet()) {
                    batch.put(handle, bytes(kv.getKey()), bytes(kv.getValue()));
                }
            }
            ColumnFamilyHandle meta = handles.get("default");
            for (Map.Entry<String, Long> offset : offsets.entrySet()) {
                batch.put(meta, bytes(OFFSET_PREFIX + offset.getKey()), bytes(Long.toString(offset.getValue())));
            }
            for (Map.Entry<String, Long> epoch : epochs.entrySet()) {
                batch.put(meta, bytes(EPOCH_PREFIX + epoch.getKey()), bytes(Long.toString(epoch.getValue())));
            }
            if (commitId != null) {
                batch.put(meta, bytes(COMMIT_KEY), bytes(Long.toString(commitId)));
            }
            db.write(writeOptions, batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot commit to PState store " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Pins the store as it is for a cut, at a cost that does not grow with its SST files (see {@link
     * PStatePins}): held until {@link PStatePins.Pin#release}, or kept by {@link #close}.
     *
     * @param cutDir a directory of the cut's own, created if absent; this store's files go nowhere else
     * @param relative the files' paths' prefix, relative to the task's state directory
     */
    PStatePins.Pin pin(Path cutDir, String relative) {
        try (Use use = use()) {
            return pins.pin(db, cutDir, relative);
        }
    }

    /** Ends one pin's hold on RocksDB's file deletions; nothing to do once closed (a close kept the pinned files). */
    private void enableFileDeletions() {
        state.readLock().lock();
        try {
            if (!closed) {
                db.enableFileDeletions();
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot unpin PState store " + dir + ": " + e.getMessage(), e);
        } finally {
            state.readLock().unlock();
        }
    }

    /** Flushes memtables to SSTs. */
    public void flush() {
        try (Use use = use(); FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
            db.flush(options, allHandles);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot flush " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Flushes memtables and waits until RocksDB has no compaction running or pending, so the files
     * stay as they are until the next write.
     */
    public void settle() {
        flush();
        try (Use use = use()) {
            for (int i = 0; i < 3000; i++) {
                boolean busy = false;
                for (ColumnFamilyHandle handle : allHandles) {
                    busy |= db.getLongProperty(handle, "rocksdb.compaction-pending") > 0;
                }
                busy |= db.getLongProperty("rocksdb.num-running-compactions") > 0
                        || db.getLongProperty("rocksdb.num-running-flushes") > 0;
                if (!busy) {
                    return;
                }
                Thread.sleep(5);
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read compaction state of " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Names of the SST files currently live. */
    public List<String> liveSstFiles() {
        try (Use use = use()) {
            return db.getLiveFilesMetaData().stream().map(m -> m.fileName().replaceFirst("^/", "")).sorted().toList();
        }
    }

    /** Closes the store once the calls in progress end; idempotent. */
    @Override
    public void close() {
        state.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            pins.keepAll(); // before RocksDB closes: its next open deletes what it no longer needs
            for (ColumnFamilyHandle handle : allHandles) {
                handle.close();
            }
            db.close();
            writeOptions.close();
            dbOptions.close();
            cfOptions.close();
        } finally {
            state.writeLock().unlock();
        }
    }

    /** A call's hold on the open store: the read side of {@link #state}, released by close. */
    private interface Use extends AutoCloseable {
        @Override
        void close();
    }

    private Use use() {
        state.readLock().lock();
        if (closed) {
            state.readLock().unlock();
            throw new IllegalStateException("PState store " + dir + " is closed");
        }
        return state.readLock()::unlock;
    }

    private ColumnFamilyHandle handle(String pstate) {
        ColumnFamilyHandle handle = handles.get(pstate);
        if (handle == null) {
            throw new IllegalArgumentException("PState store " + dir + " has no PState " + pstate);
        }
        return handle;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
