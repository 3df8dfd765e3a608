package io.modbackup.rama;

import com.rpl.rama.backup.BackupProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A provider written the way Rama's are, to prove the bridge against Rama's semantics rather than
 * against our own adapter's: {@code null} for an absent object, {@code hasKey} that answers
 * {@code false} on any error, non-recursive names without a trailing {@code /} ordered as S3 orders
 * its common prefixes, the last name as the page marker (any marker accepted), and a put that takes
 * whatever the stream holds. {@link #failing} makes every call fail as a broken store would.
 */
public final class InMemoryRamaProvider implements BackupProvider {
    private final NavigableMap<String, byte[]> objects = new ConcurrentSkipListMap<>();
    volatile boolean failing;

    /** The no-argument constructor a {@code backup.provider} value without an argument uses. */
    public InMemoryRamaProvider() {
    }

    /** The one-String constructor; the argument must be "memory". */
    public InMemoryRamaProvider(String argument) {
        if (!"memory".equals(argument)) {
            throw new IllegalArgumentException("expected 'memory', got '" + argument + "'");
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends InputStream> CompletableFuture<T> getObject(String key) {
        return CompletableFuture.supplyAsync(() -> {
            checkStore();
            byte[] data = objects.get(key);
            return data == null ? null : (T) new ByteArrayInputStream(data);
        });
    }

    @Override
    public CompletableFuture<Void> putObject(String key, InputStream in, Long contentLength) {
        return CompletableFuture.runAsync(() -> {
            checkStore();
            try {
                objects.put(key, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public CompletableFuture<Void> deleteObject(String key) {
        return CompletableFuture.runAsync(() -> {
            checkStore();
            objects.remove(key);
        });
    }

    @Override
    public CompletableFuture<Boolean> hasKey(String key) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                checkStore();
                return objects.containsKey(key);
            } catch (RuntimeException hidden) {
                return false;
            }
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysRecursive(String prefix, String paginationKey) {
        return CompletableFuture.supplyAsync(() -> {
            checkStore();
            List<String> keys = new ArrayList<>();
            NavigableMap<String, byte[]> from = paginationKey == null ? objects : objects.tailMap(paginationKey, false);
            for (String key : from.keySet()) {
                if (key.startsWith(prefix)) {
                    keys.add(key);
                } else if (key.compareTo(prefix) > 0) {
                    break;
                }
            }
            return page(keys, 1000);
        });
    }

    @Override
    public CompletableFuture<KeysPage> listKeysNonRecursive(String prefix, String paginationKey, int pageSize) {
        return CompletableFuture.supplyAsync(() -> {
            checkStore();
            String directory = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
            TreeSet<String> entries = new TreeSet<>();
            for (String key : objects.keySet()) {
                if (key.startsWith(directory)) {
                    String rest = key.substring(directory.length());
                    int slash = rest.indexOf('/');
                    entries.add(slash < 0 ? rest : rest.substring(0, slash + 1));
                }
            }
            List<String> names = new ArrayList<>();
            for (String entry : entries) {
                String name = entry.endsWith("/") ? entry.substring(0, entry.length() - 1) : entry;
                if (paginationKey == null || entryAfter(entry, paginationKey, entries)) {
                    names.add(name);
                }
            }
            return page(names, pageSize <= 0 ? 1000 : pageSize);
        });
    }

    /** Whether {@code entry} comes after the entry whose name is {@code marker}, in S3's order. */
    private static boolean entryAfter(String entry, String marker, TreeSet<String> entries) {
        String markerEntry = entries.contains(marker + "/") ? marker + "/" : marker;
        return entry.compareTo(markerEntry) > 0;
    }

    private static KeysPage page(List<String> found, int size) {
        if (found.size() <= size) {
            return new KeysPage(found, null);
        }
        List<String> keys = List.copyOf(found.subList(0, size));
        return new KeysPage(keys, keys.get(size - 1));
    }

    private void checkStore() {
        if (failing) {
            throw new IllegalStateException("the store is unreachable");
        }
    }

    @Override
    public void close() {
    }
}
