package io.modbackup.api.runtime;

/**
 * A name that becomes one component of a path: a module, restore, cut, depot, PState, topology or
 * jar name. Such a name arrives from a caller or a manifest, so before it is resolved against a
 * directory it must be a single safe segment: not empty, at most {@value #MAX_LENGTH} characters,
 * not {@code .} or {@code ..}, and without {@code /}, {@code \}, {@code :} or control characters.
 * Then {@code dir.resolve(name)} stays a direct child of {@code dir} on every platform.
 */
public final class PathSegment {
    /** The longest name accepted: most file systems allow 255 bytes a component. */
    public static final int MAX_LENGTH = 200;

    private PathSegment() {
    }

    /** Whether {@code name} is a single safe path segment. */
    public static boolean isSafe(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_LENGTH && !name.equals(".") && !name.equals("..")
                && name.chars().noneMatch(c -> c == '/' || c == '\\' || c == ':' || c < 0x20 || c == 0x7f);
    }

    /**
     * Returns {@code name} when it is a single safe path segment.
     *
     * @param what names it in the message: "module name", "restore ID"
     * @throws IllegalArgumentException naming {@code what} and the value otherwise
     */
    public static String check(String what, String name) {
        if (!isSafe(name)) {
            throw new IllegalArgumentException(what + " '" + printable(name) + "' is not a single path segment (empty, '.',"
                    + " '..', longer than " + MAX_LENGTH + " characters, or with '/', '\\', ':' or a control character)");
        }
        return name;
    }

    private static String printable(String name) {
        if (name == null) {
            return "null";
        }
        String shown = name.length() > 80 ? name.substring(0, 80) + "..." : name;
        return shown.codePoints().collect(StringBuilder::new,
                (b, c) -> b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : Character.toString(c)),
                StringBuilder::append).toString();
    }
}
