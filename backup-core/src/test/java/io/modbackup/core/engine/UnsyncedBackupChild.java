package io.modbackup.core.engine;

import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The process {@link UnsyncedCrashTest} kills: it backs up module A of the cluster at {@code args[0]} into the
 * local store at {@code args[1]}, with every barrier held back, prints {@value #AT_BARRIER} when the first
 * task's barrier is reached (its chunks are stored, none synced), and waits there to be killed.
 */
public final class UnsyncedBackupChild {
    static final String AT_BARRIER = "at-barrier";

    private UnsyncedBackupChild() {
    }

    public static void main(String[] args) {
        var cluster = new io.modbackup.sim.SimulatedCluster("test-cluster", Path.of(args[0]), 2, 256 * 1024,
                java.util.List.of(io.modbackup.sim.SampleModules.moduleA()));
        var provider = new ForwardingBackupProvider(new LocalDirectoryProvider(args[1])) {
            @Override
            public CompletableFuture<Boolean> createObject(String key, java.io.InputStream in, long length, Durability d) {
                return delegate().createObject(key, in, length, d);
            }

            @Override
            public CompletableFuture<Boolean> createFile(String key, Path source, Durability d) {
                return delegate().createFile(key, source, d);
            }

            @Override
            public CompletableFuture<Void> barrier() {
                System.out.println(AT_BARRIER);
                System.out.flush();
                return new CompletableFuture<>(); // never: the process is killed here
            }
        };
        new BackupEngine(cluster, provider, BackupOptions.defaults().withChunkSize(EngineFixture.CHUNK)).backup(EngineFixture.A);
        System.out.println("the backup completed, which it cannot without a barrier");
        System.exit(3);
    }
}
