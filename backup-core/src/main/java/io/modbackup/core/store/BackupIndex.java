package io.modbackup.core.store;

import io.modbackup.api.provider.BackupProvider.KeysPage;
import io.modbackup.core.async.Futures;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store's listing of modules and backups, and each module's newest-first index
 * ({@code index/<module>/<inverted time>}): one listing request for a page of backups. This type only
 * reads, so list and info (perhaps on read-only credentials) never write; {@link Writer} is what
 * backups and GC add. Thread-safe; methods wait for the store.
 */
public final class BackupIndex {
    private static final Logger log = LoggerFactory.getLogger(BackupIndex.class);

    private final SealingProvider provider;
    /** Modules whose index this store has seen complete (it never becomes incomplete again). */
    private final Set<String> indexedModules = java.util.concurrent.ConcurrentHashMap.newKeySet();

    BackupIndex(SealingProvider provider) {
        this.provider = provider;
    }

    /** Names of the modules with anything under {@code backups/}. */
    public List<String> modules() {
        List<String> modules = new ArrayList<>();
        forEachName(StoreLayout.BACKUPS, name -> {
            if (name.endsWith("/")) {
                modules.add(name.substring(0, name.length() - 1));
            }
        });
        return modules;
    }

    /** IDs of every backup of {@code module} with a directory in the store, committed or not, newest first. */
    public List<BackupId> backupIdsNewestFirst(String module) {
        List<BackupId> ids = new ArrayList<>();
        forEachName(StoreLayout.modulePrefix(module), name -> {
            if (!name.endsWith("/")) {
                return;
            }
            try {
                BackupId id = BackupId.parse(name.substring(0, name.length() - 1));
                if (id.module().equals(module)) {
                    ids.add(id);
                }
            } catch (IllegalArgumentException e) {
                log.warn("ignoring {} in the backups of {}: {}", name, module, e.getMessage());
            }
        });
        ids.sort(Comparator.reverseOrder());
        return ids;
    }

    /** One page of a module's newest-first index: backup IDs (committed or not) and the provider's token for the next. */
    public record IndexPage(List<BackupId> ids, String nextToken) {
        public IndexPage {
            ids = List.copyOf(ids);
        }
    }

    /**
     * Up to {@code count} backups of {@code module} from its newest-first index, after the page
     * {@code token} (a {@link IndexPage#nextToken()}, or null for the newest): one listing request. The
     * index holds every committed backup (its object is written before the commit) and may hold
     * backups that never committed or that GC is deleting, whose module manifests are absent.
     *
     * <p>Writes nothing: for a store written before the index existed it pages through a listing of
     * every backup instead, until a backup or GC indexed it ({@link Writer#ensureIndexed}, which writers
     * call first).
     *
     * @throws IllegalArgumentException when {@code token} is not one this listing issued
     */
    public IndexPage newestFirst(String module, String token, int count) {
        if (!indexed(module)) {
            return scanNewestFirst(module, token, count);
        }
        if (token != null && token.startsWith(SCAN_TOKEN)) {
            throw new IllegalArgumentException("a page token of a listing from before the module's backups were indexed");
        }
        KeysPage page = Futures.await(provider.listKeysNonRecursive(StoreLayout.indexPrefix(module), token, count),
                "list the index of " + module);
        List<BackupId> ids = new ArrayList<>(page.keys().size());
        for (String name : page.keys()) {
            BackupId id = StoreLayout.backupOfIndexName(module, name);
            if (id != null) {
                ids.add(id);
            }
        }
        return new IndexPage(ids, page.nextPageToken());
    }

    /** Tokens of pages read by listing every backup (a store not indexed yet) start with this. */
    private static final String SCAN_TOKEN = "scan\n";

    private IndexPage scanNewestFirst(String module, String token, int count) {
        BackupId after = null;
        if (token != null) {
            if (!token.startsWith(SCAN_TOKEN)) {
                throw new IllegalArgumentException("not a page token of this listing");
            }
            after = BackupId.parse(token.substring(SCAN_TOKEN.length()));
        }
        BackupId last = after;
        List<BackupId> newer = backupIdsNewestFirst(module).stream().filter(id -> last == null || id.compareTo(last) < 0)
                .toList();
        List<BackupId> ids = newer.subList(0, Math.min(count, newer.size()));
        String next = newer.size() > ids.size() ? SCAN_TOKEN + ids.get(ids.size() - 1) : null;
        return new IndexPage(ids, next);
    }

    /** Whether {@code module}'s index is marked complete. */
    private boolean indexed(String module) {
        if (indexedModules.contains(module)) {
            return true;
        }
        String marker = StoreLayout.indexCompleteKey(module);
        if (Futures.await(provider.hasKey(marker), "check " + marker)) {
            indexedModules.add(module);
            return true;
        }
        // Not marked (a store from before the index, or a module no writer has touched since): the
        // caller lists the backups themselves, which costs the same when there are none.
        return false;
    }

    private void forEachName(String prefix, Consumer<String> action) {
        String token = null;
        do {
            KeysPage page = Futures.await(provider.listKeysNonRecursive(prefix, token, 0), "list " + prefix);
            page.keys().forEach(action);
            token = page.nextPageToken();
        } while (token != null);
    }

    /** Every key under {@code prefix}. */
    public List<String> keysUnder(String prefix) {
        List<String> keys = new ArrayList<>();
        String token = null;
        do {
            KeysPage page = Futures.await(provider.listKeysRecursive(prefix, token), "list " + prefix);
            keys.addAll(page.keys());
            token = page.nextPageToken();
        } while (token != null);
        return keys;
    }

    /** What backups and GC, which write anyway, add to the index. */
    public final class Writer {
        /**
         * Writes {@code id}'s index object where none is (the object names the backup its key encodes, so
         * one found there is this one's). Idempotent; before the backup's commit.
         */
        public CompletableFuture<Void> writeIndexEntry(BackupId id) {
            byte[] bytes = id.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return provider.createObject(StoreLayout.indexKey(id), new ByteArrayInputStream(bytes), bytes.length)
                    .thenApply(created -> null);
        }

        /**
         * Makes sure every backup of {@code module} has its index object: a store written before the index
         * existed is indexed once (one listing of the module's backups and one small object per backup),
         * then marked complete. Afterwards one check per module and engine; idempotent and safe beside
         * backups (which index themselves) and GC (an object it races to index for a deleted backup is
         * skipped by listings and removed by the next GC). For writers only (backups, GC).
         */
        public void ensureIndexed(String module) {
            if (indexedModules.contains(module)) {
                return;
            }
            String marker = StoreLayout.indexCompleteKey(module);
            if (!Futures.await(provider.hasKey(marker), "check " + marker)) {
                List<BackupId> ids = backupIdsNewestFirst(module);
                Futures.await(io.modbackup.core.async.BoundedFanOut.map(ids, 16, this::writeIndexEntry), "index " + module);
                byte[] bytes = new byte[0];
                Futures.await(provider.createObject(marker, new ByteArrayInputStream(bytes), 0), "write " + marker);
                if (!ids.isEmpty()) {
                    log.info("indexed the {} backups of {} written before the newest-first index", ids.size(), module);
                }
            }
            indexedModules.add(module);
        }
    }
}
