package io.modbackup.cli.command;

import io.modbackup.api.provider.BackupConfigException;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which config override and dynamic option values {@code info} shows as {@value #REDACTED} (the
 * backups page shows no config at all): those whose key matches {@value #CONFIG_KEY}, by default
 * {@value #DEFAULT_PATTERN} (case-insensitive, anywhere in the key). A backup still stores them
 * whole, so a restore gives the module what it had. Immutable.
 */
public final class Redaction {
    /** The config key of the pattern. */
    public static final String CONFIG_KEY = "backup.redact.pattern";
    /** Keys that look secret. */
    public static final String DEFAULT_PATTERN = "secret|password|passwd|token|credential|private|key";
    /** What a redacted value is shown as. */
    public static final String REDACTED = "<redacted>";

    private final Pattern pattern;

    private Redaction(Pattern pattern) {
        this.pattern = pattern;
    }

    /**
     * The redaction the config {@code settings} ask for.
     *
     * @throws BackupConfigException naming the key when its pattern is not a regular expression
     */
    public static Redaction of(Map<String, String> settings) {
        String regex = settings.getOrDefault(CONFIG_KEY, DEFAULT_PATTERN);
        try {
            return new Redaction(Pattern.compile(regex, Pattern.CASE_INSENSITIVE));
        } catch (PatternSyntaxException e) {
            throw new BackupConfigException(CONFIG_KEY + " '" + regex + "' is not a regular expression: "
                    + e.getDescription());
        }
    }

    /** {@code value}, or {@value #REDACTED} when {@code key} looks secret. */
    public String shown(String key, String value) {
        return pattern.matcher(key).find() ? REDACTED : value;
    }
}
