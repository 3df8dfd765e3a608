package io.modbackup.bench;

import io.modbackup.api.fs.FileTrees;
import io.modbackup.api.provider.BackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * The least a store that keeps one object per file costs on this machine: the local provider's creates of
 * the cut's files, as many in flight as the engine keeps, and one barrier, synced, with no hashing,
 * compression, manifests or runtime. What a full backup takes above it is the engine's; what it takes
 * above borg or restic, which pack small files into a few large ones, is the file system's price of a file.
 */
final class StoreFloor {
    /** Uploads the engine keeps in flight (BackupOptions' default). */
    private static final int IN_FLIGHT = 16;

    private StoreFloor() {
    }

    /** Seconds to store every file under {@code cutDir} into a fresh local store at {@code store}, synced; removes the store. */
    static double seconds(Path cutDir, Path store) throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(cutDir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        double seconds = Timing.time(() -> {
            try (LocalDirectoryProvider provider = new LocalDirectoryProvider(store.toString())) {
                Semaphore inFlight = new Semaphore(IN_FLIGHT);
                List<CompletableFuture<Boolean>> creates = new ArrayList<>(files.size());
                for (int i = 0; i < files.size(); i++) {
                    inFlight.acquire();
                    String key = String.format(Locale.ROOT, "blobs/%02x/%08d", i & 0xff, i);
                    creates.add(provider.createFile(key, files.get(i), BackupProvider.Durability.AT_BARRIER)
                            .whenComplete((created, error) -> inFlight.release()));
                }
                CompletableFuture.allOf(creates.toArray(CompletableFuture[]::new)).join();
                provider.barrier().join();
            }
        }, true);
        FileTrees.deleteTree(store);
        return seconds;
    }
}
