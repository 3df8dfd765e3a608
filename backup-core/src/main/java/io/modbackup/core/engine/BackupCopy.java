package io.modbackup.core.engine;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.async.BoundedFanOut;
import io.modbackup.core.async.DaemonThreads;
import io.modbackup.core.async.Futures;
import io.modbackup.core.error.BackupException;
import io.modbackup.core.error.BackupException.Problem;
import io.modbackup.core.error.CorruptBackupException;
import io.modbackup.core.fs.PrivateFiles;
import io.modbackup.core.lock.StoreLocks;
import io.modbackup.core.manifest.FileEntry;
import io.modbackup.core.manifest.ManifestCodec;
import io.modbackup.core.manifest.ModuleManifest;
import io.modbackup.core.manifest.TaskManifest;
import io.modbackup.core.manifest.TaskRef;
import io.modbackup.core.store.BackupId;
import io.modbackup.core.store.BackupStore;
import io.modbackup.core.store.ChunkStore;
import io.modbackup.core.store.KnownChunks;
import io.modbackup.core.store.TransferStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a committed backup into another store, a store in its own right (its own owner and format
 * records, its own compression and encryption): every file is read back from the source, verified
 * against its hashes, and stored in the target as a backup stores it, which names its chunks the target's
 * way and sends only the chunks the target lacks (looked up first); then its task manifests, then, once
 * every chunk it needs is checked present in the target, its index entry and module manifest, under the
 * same backup ID. Until that last write the target lists nothing of it, so a copy that stops half-way
 * leaves no partial backup and is simply run again (what it stored is found and not sent twice).
 */
final class BackupCopy {
    private static final Logger log = LoggerFactory.getLogger(BackupCopy.class);
    /** Files read back and stored at once. */
    private static final int FILES_IN_FLIGHT = 8;

    private final BackupStore source;
    private final ChunkStore sourceChunks;
    private final ManifestCodec codec;
    private final Path scratch;

    BackupCopy(BackupStore source, ChunkStore sourceChunks, ManifestCodec codec, Path scratch) {
        this.source = source;
        this.sourceChunks = sourceChunks;
        this.codec = codec;
        this.scratch = scratch;
    }

    CopyResult copy(ModuleManifest manifest, BackupProvider targetProvider, BackupOptions targetOptions, String clusterId,
                    Executor io, Clock clock) {
        BackupId id = BackupId.parse(manifest.backupId());
        // The target's chunk store restores no file: it needs no sync threads of its own.
        StoreStack target = StoreStack.open(targetProvider, targetOptions, io, io, clock);
        target.store().ownership().claim(clusterId);
        if (target.store().moduleManifest(id).isPresent()) {
            return new CopyResult(manifest.backupId(), true, 0, 0, 0);
        }
        try (StoreLocks locks = new StoreLocks(target.retrying(), clock, targetOptions.leaseTtl(), targetOptions.lockWait());
             StoreLocks.Lease lease = locks.shared(id.toString())) {
            Path staging = PrivateFiles.createDirectories(scratch.resolve("copy-" + id + "-" + System.nanoTime()));
            // Files are read back and stored on threads of their own: each waits for the I/O pool's work.
            java.util.concurrent.ExecutorService fileThreads = java.util.concurrent.Executors.newFixedThreadPool(
                    FILES_IN_FLIGHT, DaemonThreads.named("modbackup-copy-"));
            try {
                TransferStats stats = new TransferStats();
                KnownChunks known = new KnownChunks(true); // look each chunk up: the target may hold it
                AtomicInteger files = new AtomicInteger();
                FileEntry jar = copyFile(manifest.jar(), manifest, target.chunks(), known, stats, staging, files);
                List<TaskRef> tasks = new ArrayList<>();
                long manifestBytes = 0;
                for (TaskRef ref : manifest.tasks()) {
                    String what = "task manifest " + ref.task() + " of backup " + id;
                    TaskManifest task = Futures.await(source.readTaskManifest(ref, manifest.chunkSize(), what), "read " + what);
                    // The files of one pack are read back together (the pack read once), every other file alone.
                    List<List<FileEntry>> units = new ArrayList<>(task.files().stream().filter(file -> file.pack() != null)
                            .collect(java.util.stream.Collectors.groupingBy(file -> file.chunks().get(0),
                                    java.util.LinkedHashMap::new, java.util.stream.Collectors.toList())).values());
                    task.files().stream().filter(file -> file.pack() == null).forEach(file -> units.add(List.of(file)));
                    List<FileEntry> copied = new ArrayList<>();
                    Futures.await(BoundedFanOut.map(units, FILES_IN_FLIGHT,
                            unit -> java.util.concurrent.CompletableFuture.supplyAsync(() -> copyFiles(unit, manifest,
                                    target.chunks(), known, stats, staging, files), fileThreads)), "copy the files of " + what)
                            .forEach(copied::addAll);
                    copied.sort(java.util.Comparator.comparing(FileEntry::path));
                    BackupStore.WrittenTaskManifest written = Futures.await(target.store().writeTaskManifest(
                            new TaskManifest(ManifestCodec.VERSION, task.module(), task.backupId(), task.task(), copied,
                                    task.depotEndOffsets(), task.processedOffsets()), java.util.Set.of()), "write " + what);
                    tasks.add(written.ref());
                    manifestBytes += written.bytesSent();
                }
                ModuleManifest copy = new ModuleManifest(ManifestCodec.VERSION, manifest.backupId(), manifest.module(),
                        manifest.clusterId(), manifest.createdMillis(), manifest.completedMillis(), manifest.restoreEpoch(),
                        manifest.chunkSize(), manifest.descriptor(), manifest.commitIds(), jar, tasks, manifest.totals(), null);
                requireArrived(target, copy);
                if (locks.gcRanSince(lease.startedMillis())) {
                    throw new BackupException(Problem.LEASE_OVERTAKEN, id.toString(), "the copy of backup " + id
                            + " was not committed: a garbage collection of the target ran past its lease; copy it again");
                }
                Futures.await(target.store().indexWriter().writeIndexEntry(id), "index the copy of " + id);
                Futures.await(target.store().commit(id, codec.seal(copy)), "commit the copy of " + id);
                log.info("copied backup {}: {} files, {} chunks sent, {} bytes", id, files.get(), stats.chunksUploaded(),
                        stats.bytesSent() + manifestBytes);
                return new CopyResult(manifest.backupId(), false, files.get(), stats.chunksUploaded(),
                        stats.bytesSent() + manifestBytes);
            } finally {
                fileThreads.shutdownNow();
                FileTrees.deleteTree(staging);
            }
        }
    }

    /**
     * Reads {@code unit}, one file or the files of one pack, back from the source (a pack read once, each
     * file verified) and stores each in the target as {@link #copyFile} does.
     */
    private List<FileEntry> copyFiles(List<FileEntry> unit, ModuleManifest manifest, ChunkStore targetChunks,
                                      KnownChunks known, TransferStats stats, Path staging, AtomicInteger files) {
        if (unit.size() == 1) {
            return List.of(copyFile(unit.get(0), manifest, targetChunks, known, stats, staging, files));
        }
        List<Path> locals = unit.stream().map(file -> staging.resolve("file-" + files.incrementAndGet())).toList();
        try {
            Futures.await(sourceChunks.restorePack(unit, locals, file -> "file " + file.path() + " of backup "
                    + manifest.backupId()), "read the files of pack " + unit.get(0).chunks().get(0));
            List<FileEntry> copied = new ArrayList<>();
            for (int i = 0; i < unit.size(); i++) {
                FileEntry file = unit.get(i);
                copied.add(Futures.await(targetChunks.store(file.path(), file.kind(), locals.get(i), file.size(),
                        file.modifiedMillis(), manifest.chunkSize(), known, stats), "store " + file.path()));
            }
            return copied;
        } finally {
            for (Path local : locals) {
                try {
                    Files.deleteIfExists(local);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove " + local, e);
                }
            }
        }
    }

    /**
     * Reads one file back from the source (verifying every chunk and the whole file's hash) into the
     * staging directory and stores it in the target, which names and sends its chunks as a backup does.
     */
    private FileEntry copyFile(FileEntry file, ModuleManifest manifest, ChunkStore targetChunks, KnownChunks known,
                               TransferStats stats, Path staging, AtomicInteger files) {
        Path local = staging.resolve("file-" + files.incrementAndGet());
        try {
            Futures.await(sourceChunks.restore(file, manifest.chunkSize(), local, "file " + file.path() + " of backup "
                    + manifest.backupId()), "read " + file.path());
            return Futures.await(targetChunks.store(file.path(), file.kind(), local, file.size(), file.modifiedMillis(),
                    manifest.chunkSize(), known, stats), "store " + file.path());
        } finally {
            try {
                Files.deleteIfExists(local);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + local, e);
            }
        }
    }

    /** Every chunk the copy needs is in the target with its size (one metadata request each), before it commits. */
    private static void requireArrived(StoreStack target, ModuleManifest copy) {
        List<String> problems = new ArrayList<>();
        List<FileEntry> all = new ArrayList<>();
        BackupStore.Reach reach = target.store().reach(copy, all::add);
        problems.addAll(reach.unreadable());
        for (var chunk : reach.chunks().entrySet()) {
            String problem = Futures.await(target.chunks().check(chunk.getKey(), chunk.getValue(), false), "check a copied chunk");
            if (problem != null) {
                problems.add(problem);
            }
        }
        if (!problems.isEmpty()) {
            throw new CorruptBackupException("the copy of backup " + copy.backupId() + " did not arrive whole, so it is"
                    + " not committed: " + problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1)
                    + " more)" : ""));
        }
    }
}
