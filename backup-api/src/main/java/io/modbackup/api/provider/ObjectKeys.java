package io.modbackup.api.provider;

/**
 * The one place where object keys and listing prefixes are checked, so that every provider refuses
 * the same keys with the same message. Providers call these before touching storage.
 */
public final class ObjectKeys {
    /** Longest key accepted, in UTF-16 code units (S3's limit is 1024 bytes). */
    public static final int MAX_KEY_LENGTH = 1024;

    private ObjectKeys() {
    }

    /**
     * Returns {@code key} when it is a valid object key: non-empty, relative ({@code /}-separated,
     * no leading or trailing {@code /}, no empty segment), no {@code .} or {@code ..} segment, no
     * backslash, no control character, at most {@link #MAX_KEY_LENGTH} long.
     *
     * @throws IllegalArgumentException naming the key and the rule it breaks
     */
    public static String requireValidKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("invalid object key '" + key + "': a key must not be empty");
        }
        if (key.endsWith("/")) {
            throw invalid(key, "a key must not end with '/' (that names a directory)");
        }
        checkPath(key, "object key '" + printable(key) + "'");
        return key;
    }

    /**
     * Returns {@code prefix} when it is a valid prefix for a recursive listing: {@code ""}, or the
     * start of a valid key (it may end with {@code /} or in the middle of a segment).
     *
     * @throws IllegalArgumentException naming the prefix and the rule it breaks
     */
    public static String requireValidPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("invalid listing prefix: null (use \"\" to list everything)");
        }
        if (!prefix.isEmpty()) {
            String path = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            checkPath(path, "listing prefix '" + printable(prefix) + "'");
        }
        return prefix;
    }

    /**
     * Returns {@code prefix} when it is a valid "directory" for a non-recursive listing: {@code ""}
     * or a valid prefix ending with {@code /}.
     *
     * @throws IllegalArgumentException naming the prefix and the rule it breaks
     */
    public static String requireDirectoryPrefix(String prefix) {
        requireValidPrefix(prefix);
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("invalid listing prefix '" + prefix
                    + "': a non-recursive listing needs \"\" or a prefix ending with '/' (try '" + prefix + "/')");
        }
        return prefix;
    }

    /** Checks the rules shared by keys and prefixes; {@code what} names the value in messages. */
    private static void checkPath(String path, String what) {
        if (path.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("invalid " + what.substring(0, Math.min(what.length(), 80))
                    + "...: longer than " + MAX_KEY_LENGTH + " characters");
        }
        if (path.isEmpty() || path.startsWith("/")) {
            throw new IllegalArgumentException("invalid " + what + ": must be a relative path, not start with '/'");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("invalid " + what + ": control character at index " + i);
            }
            if (c == '\\') {
                throw new IllegalArgumentException("invalid " + what + ": backslash at index " + i
                        + " (keys use '/' as separator)");
            }
        }
        if (path.contains("//") || path.endsWith("/")) {
            throw new IllegalArgumentException("invalid " + what + ": empty segment ('//')");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("invalid " + what + ": '" + segment + "' segments are not allowed");
            }
        }
    }

    private static IllegalArgumentException invalid(String key, String rule) {
        return new IllegalArgumentException("invalid object key '" + printable(key) + "': " + rule);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
