package io.modbackup.core.store;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A backup's ID, {@code <module>-<16 hex digits of creation epoch millis>-<2 hex digits>}, e.g.
 * {@code com.mycompany.MyModule-00000193E038B5F8-DE}. Parsed from the right, since module names
 * contain dots and dashes. IDs of one module sort by creation time.
 */
public record BackupId(String module, long createdMillis, int suffix) implements Comparable<BackupId> {
    private static final java.util.HexFormat HEX = java.util.HexFormat.of().withUpperCase();

    public BackupId {
        Objects.requireNonNull(module, "module");
        if (module.isEmpty()) {
            throw new IllegalArgumentException("a backup ID needs a module name");
        }
        if (createdMillis < 0 || suffix < 0 || suffix > 0xFF) {
            throw new IllegalArgumentException("invalid backup ID parts: " + createdMillis + ", " + suffix);
        }
    }

    /** A new ID for a backup of {@code module} created at {@code createdMillis}. */
    public static BackupId create(String module, long createdMillis) {
        return new BackupId(module, createdMillis, ThreadLocalRandom.current().nextInt(256));
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException naming the text and the expected form
     */
    public static BackupId parse(String text) {
        if (text == null || text.isBlank()) {
            throw malformed(text, "it is empty");
        }
        int lastDash = text.lastIndexOf('-');
        int millisDash = lastDash <= 0 ? -1 : text.lastIndexOf('-', lastDash - 1);
        if (millisDash <= 0) {
            throw malformed(text, "it lacks the '-<16 hex>-<2 hex>' ending");
        }
        String module = text.substring(0, millisDash);
        if (module.contains("/") || module.contains("\\") || module.equals(".") || module.equals("..")
                || module.startsWith("..") || module.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw malformed(text, "its module name '" + module + "' has a '/', a '\\', a leading '..' or a control character,"
                    + " which no module name has");
        }
        String millis = text.substring(millisDash + 1, lastDash);
        String suffix = text.substring(lastDash + 1);
        if (millis.length() != 16 || !isHex(millis)) {
            throw malformed(text, "'" + millis + "' is not 16 hex digits of epoch millis");
        }
        if (suffix.length() != 2 || !isHex(suffix)) {
            throw malformed(text, "'" + suffix + "' is not 2 hex digits");
        }
        long createdMillis = Long.parseUnsignedLong(millis, 16);
        if (createdMillis < 0) {
            throw malformed(text, "'" + millis + "' is out of range");
        }
        return new BackupId(module, createdMillis, Integer.parseInt(suffix, 16));
    }

    private static IllegalArgumentException malformed(String text, String why) {
        return new IllegalArgumentException("malformed backup ID '" + text + "': " + why
                + "; expected <module>-<16 hex digits>-<2 hex digits>, e.g. com.mycompany.MyModule-00000193E038B5F8-DE");
    }

    private static boolean isHex(String s) {
        return s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'));
    }

    /** {@code <module>-<16 hex digits>-<2 hex digits>}, upper case; through {@link java.util.HexFormat}, not String.format (3% of a no-change backup's CPU). */
    @Override
    public String toString() {
        return module + '-' + HEX.toHexDigits(createdMillis) + '-' + HEX.toHexDigits((byte) suffix);
    }

    /**
     * The order of the IDs' texts. Within a module that is creation time, then suffix (fixed-width hex), compared
     * without making the texts.
     */
    @Override
    public int compareTo(BackupId other) {
        if (module.equals(other.module)) {
            int byTime = Long.compare(createdMillis, other.createdMillis);
            return byTime != 0 ? byTime : Integer.compare(suffix, other.suffix);
        }
        return toString().compareTo(other.toString());
    }
}
