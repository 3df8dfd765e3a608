package io.modbackup.cli.command;

import io.modbackup.api.provider.BackupConfigException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the flat {@code key: value} config of a rama.yaml-style file, e.g.
 * {@code backup.provider: "io.modbackup.core.provider.local.LocalDirectoryProvider /var/backups"}.
 * Blank lines and {@code #} comments are ignored; a value may be quoted. The file is UTF-8 and sets
 * each key once.
 */
public final class ConfigFile {
    /** The largest config file read. */
    static final long MAX_BYTES = 1 << 20;

    private ConfigFile() {
    }

    /**
     * @throws BackupConfigException naming the file and line when it cannot be read, is not a regular
     *     file of at most {@link #MAX_BYTES} bytes, is not UTF-8, a line is not {@code key: value}, or a key
     *     is set twice
     */
    public static Map<String, String> read(Path file) {
        List<String> lines;
        try {
            // A config is a few lines: a device, a pipe or a huge file named as --config is refused unread.
            if (Files.exists(file) && (!Files.isRegularFile(file) || Files.size(file) > MAX_BYTES)) {
                throw new BackupConfigException("config file " + file + " is not a regular file of at most " + MAX_BYTES
                        + " bytes; give --config with the file holding backup.provider");
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new BackupConfigException("config file " + file + " is not UTF-8 text; save it as UTF-8 (it holds"
                    + " lines like backup.provider: \"<class> <argument>\")");
        } catch (NoSuchFileException e) {
            throw new BackupConfigException("config file " + file + " does not exist; give --config with the file"
                    + " holding backup.provider");
        } catch (IOException e) {
            throw new BackupConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> config = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                // The line itself is not echoed: --config may name any file the caller can make this process read.
                throw new BackupConfigException("config file " + file + " line " + (i + 1) + " is not 'key: value'");
            }
            String value = line.substring(colon + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            String key = line.substring(0, colon).strip();
            Integer earlier = lineOf.putIfAbsent(key, i + 1);
            if (earlier != null) {
                throw new BackupConfigException("config file " + file + " sets " + key + " twice, on lines " + earlier
                        + " and " + (i + 1) + "; keep one of them");
            }
            config.put(key, value);
        }
        return config;
    }
}
