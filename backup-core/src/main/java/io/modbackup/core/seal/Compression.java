package io.modbackup.core.seal;

import io.modbackup.api.provider.BackupConfigException;
import java.util.Locale;

/**
 * Whether and how hard chunks and manifests are compressed, from {@code backup.compression}:
 * {@code zstd} (level {@value #DEFAULT_LEVEL}), {@code zstd:<level>} with a level from 1 to 19, or
 * {@code none}. A chunk is compressed when a 16 KiB sample of it shrinks by at least 30% (text,
 * JSON, logs; not already-compressed data, nor random bytes in base64), and stored compressed when the
 * whole chunk then shrinks by at least a sixteenth; otherwise it is stored as it is. Manifests are
 * always compressed. Changing the setting affects only what is written from then on:
 * every reader reads both forms.
 *
 * @param level the zstd level, or 0 for none
 */
public record Compression(int level) {
    /** The config key. */
    public static final String CONFIG_KEY = "backup.compression";
    /** zstd's own default: about as fast as a disk can write, and most of the gain of higher levels. */
    public static final int DEFAULT_LEVEL = 3;
    /** Nothing is compressed. */
    public static final Compression NONE = new Compression(0);
    /** zstd at the default level: what a store gets unless the config says otherwise. */
    public static final Compression DEFAULT = new Compression(DEFAULT_LEVEL);

    public Compression {
        if (level < 0 || level > 19) {
            throw new IllegalArgumentException("a zstd level is from 1 to 19 (0 for none), got " + level);
        }
    }

    /** Whether anything is compressed. */
    public boolean enabled() {
        return level > 0;
    }

    /**
     * The setting {@code value} names; {@link #DEFAULT} for {@code null} (not set).
     *
     * @throws BackupConfigException naming the value and the forms it may take
     */
    public static Compression parse(String value) {
        if (value == null) {
            return DEFAULT;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("none")) {
            return NONE;
        }
        if (v.equals("zstd")) {
            return DEFAULT;
        }
        if (v.startsWith("zstd:")) {
            try {
                int level = Integer.parseInt(v.substring(5));
                if (level >= 1 && level <= 19) {
                    return new Compression(level);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new BackupConfigException(CONFIG_KEY + " is \"" + value + "\"; give none, zstd, or zstd:<level> with a"
                + " level from 1 (fastest) to 19 (smallest), e.g. zstd:3");
    }

    @Override
    public String toString() {
        return level == 0 ? "none" : "zstd:" + level;
    }
}
