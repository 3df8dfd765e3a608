package io.modbackup.core.provider.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * Keys under a directory in key order, as the provider's listings page them: every key below a prefix
 * (a depth-first walk that skips subtrees sorting before the page's last key), or the names one level
 * below it, directories ending in {@code /}. Links, special files and the provider's temporary directory
 * are not keys. Blocking; safe from any thread.
 */
final class DirectoryListing {
    private final Path root;
    private final String tempDir;

    DirectoryListing(Path root, String tempDir) {
        this.root = root;
        this.tempDir = tempDir;
    }

    /** Up to {@code limit} keys that start with {@code prefix} and sort after {@code after} (null: all). */
    List<String> recursive(String prefix, String after, int limit) throws IOException {
        int slash = prefix.lastIndexOf('/');
        String dirKey = prefix.substring(0, slash + 1);
        List<String> keys = new ArrayList<>(limit);
        try {
            walk(directoryOf(dirKey), dirKey, prefix.substring(slash + 1), after, limit, keys);
        } catch (UncheckedIOException e) {
            throw e.getCause(); // a stat that failed mid-iteration
        }
        return keys;
    }

    /** Up to {@code limit} names directly below the directory prefix {@code prefix} that sort after {@code after}. */
    List<String> children(String prefix, String after, int limit) throws IOException {
        List<String> names = new ArrayList<>();
        Iterator<Entry> entries = sortedEntries(directoryOf(prefix), prefix.isEmpty(), "", "", after);
        try {
            while (names.size() < limit && entries.hasNext()) {
                Entry entry = entries.next();
                if (after == null || entry.fragment().compareTo(after) > 0) {
                    names.add(entry.fragment());
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause(); // a stat that failed mid-iteration
        }
        return names;
    }

    /** Depth-first walk in key order, skipping whole subtrees that sort before {@code after} unread. */
    private void walk(Path dir, String dirKey, String nameFilter, String after, int limit, List<String> out)
            throws IOException {
        Iterator<Entry> entries = sortedEntries(dir, dirKey.isEmpty(), dirKey, nameFilter, after);
        while (out.size() < limit && entries.hasNext()) {
            Entry entry = entries.next();
            String key = dirKey + entry.fragment();
            if (entry.directory()) {
                walk(dir.resolve(entry.name()), key, "", after, limit, out); // one wholly before after was not listed
            } else if (after == null || key.compareTo(after) > 0) {
                out.add(key);
            }
        }
    }

    /** A name and its key fragment (a directory's ends in {@code /}), made once: the sort compares fragments. */
    private record Entry(String name, boolean directory, String fragment) {
        Entry(String name, boolean directory) {
            this(name, directory, directory ? name + "/" : name);
        }
    }

    /**
     * The files and directories in {@code dir} whose names start with {@code nameFilter}, in key order
     * (by fragment), less those wholly before {@code after} (a key or, for {@code children}, a fragment;
     * {@code keyPrefix} makes a name a key comparable with it). Only the names are read up front: an
     * entry is stat'ed (to tell a directory, whose fragment ends in {@code /}, from a file) as the
     * iteration reaches it, so a page of a large directory (a module's thousands of index entries, where
     * every backup reads the newest few) costs a stat per name returned, not per name in the directory.
     */
    private Iterator<Entry> sortedEntries(Path dir, boolean isRoot, String keyPrefix, String nameFilter, String after)
            throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if ((isRoot && name.equals(tempDir)) || !name.startsWith(nameFilter)) {
                    continue;
                }
                if (after != null && whollyBefore(keyPrefix + name + "/", after)) {
                    continue; // a file named so (key below name + "/") or a directory of keys all before after
                }
                names.add(name);
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // Nothing below a missing directory, nor below an object's key listed as if it were one.
            return Collections.emptyIterator();
        }
        names.sort(null);
        return new LazilyStatted(dir, names);
    }

    /** Whether every key at or below {@code directoryKey} (a key ending in {@code /}) sorts at or before {@code after}. */
    private static boolean whollyBefore(String directoryKey, String after) {
        return directoryKey.compareTo(after) <= 0 && !(after.length() > directoryKey.length() && after.startsWith(directoryKey));
    }

    /**
     * Entries in fragment order from names in name order. A file's fragment is its name, a directory's its
     * name and {@code /}, so an entry's fragment is never before its name: a stat'ed entry whose fragment
     * sorts before the next name to stat comes before every entry not stat'ed yet, and is returned
     * (a directory {@code a} comes after the file {@code a-1}, since {@code -} sorts before {@code /}).
     */
    private static final class LazilyStatted implements Iterator<Entry> {
        private final Path dir;
        private final List<String> names;
        private final PriorityQueue<Entry> statted = new PriorityQueue<>(Comparator.comparing(Entry::fragment));
        private int nextName;

        LazilyStatted(Path dir, List<String> names) {
            this.dir = dir;
            this.names = names;
        }

        @Override
        public boolean hasNext() {
            while (nextName < names.size()
                    && (statted.isEmpty() || statted.peek().fragment().compareTo(names.get(nextName)) > 0)) {
                stat(names.get(nextName++));
            }
            return !statted.isEmpty();
        }

        @Override
        public Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return statted.poll();
        }

        private void stat(String name) {
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return; // deleted since the directory was read: not listed
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // Links, special files and anything else are not keys.
            if (attributes.isDirectory() || attributes.isRegularFile()) {
                statted.add(new Entry(name, attributes.isDirectory()));
            }
        }
    }

    private Path directoryOf(String dirKey) {
        return dirKey.isEmpty() ? root : root.resolve(dirKey);
    }
}
