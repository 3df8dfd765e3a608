package io.modbackup.core.provider.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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
        walk(directoryOf(dirKey), dirKey, prefix.substring(slash + 1), after, limit, keys);
        return keys;
    }

    /** Up to {@code limit} names directly below the directory prefix {@code prefix} that sort after {@code after}. */
    List<String> children(String prefix, String after, int limit) throws IOException {
        List<String> names = new ArrayList<>();
        for (Entry entry : sortedEntries(directoryOf(prefix), prefix, "")) {
            if (after == null || entry.fragment().compareTo(after) > 0) {
                names.add(entry.fragment());
                if (names.size() >= limit) {
                    break;
                }
            }
        }
        return names;
    }

    /** Depth-first walk in key order, skipping whole subtrees that sort before {@code after}. */
    private void walk(Path dir, String dirKey, String nameFilter, String after, int limit, List<String> out)
            throws IOException {
        for (Entry entry : sortedEntries(dir, dirKey, nameFilter)) {
            if (out.size() >= limit) {
                return;
            }
            String key = dirKey + entry.fragment();
            if (entry.directory()) {
                boolean subtreeBeforeAfter = after != null && !after.startsWith(key) && key.compareTo(after) < 0;
                if (!subtreeBeforeAfter) {
                    walk(dir.resolve(entry.name()), key, "", after, limit, out);
                }
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

    private List<Entry> sortedEntries(Path dir, String dirKey, String nameFilter) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (dirKey.isEmpty() && name.equals(tempDir)) {
                    continue;
                }
                if (!name.startsWith(nameFilter)) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (attributes.isDirectory() || attributes.isRegularFile()) {
                    entries.add(new Entry(name, attributes.isDirectory()));
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // Nothing below a missing directory, nor below an object's key listed as if it were one.
            return List.of();
        }
        entries.sort(Comparator.comparing(Entry::fragment));
        return entries;
    }

    private Path directoryOf(String dirKey) {
        return dirKey.isEmpty() ? root : root.resolve(dirKey);
    }
}
