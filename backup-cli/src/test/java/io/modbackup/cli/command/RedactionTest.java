package io.modbackup.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.modbackup.api.provider.BackupConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {
    @Test
    void keysThatLookSecretAreShownRedactedByDefault() {
        Redaction redaction = Redaction.of(Map.of());
        assertEquals("<redacted>", redaction.shown("db.password", "hunter2"));
        assertEquals("<redacted>", redaction.shown("API_TOKEN", "abc"));
        assertEquals("<redacted>", redaction.shown("aws.secretAccessKey", "abc"));
        assertEquals("<redacted>", redaction.shown("tls.privateKeyFile", "/etc/k"));
        assertEquals("200", redaction.shown("topology.microbatch.max.batch", "200"));
        assertEquals("60", redaction.shown("backup.period.seconds", "60"));
    }

    @Test
    void thePatternIsConfigurableAndABadOneIsOneLine() {
        Redaction redaction = Redaction.of(Map.of(Redaction.CONFIG_KEY, "^internal\\."));
        assertEquals("<redacted>", redaction.shown("internal.anything", "x"));
        assertEquals("hunter2", redaction.shown("db.password", "hunter2"));
        BackupConfigException refused = assertThrows(BackupConfigException.class,
                () -> Redaction.of(Map.of(Redaction.CONFIG_KEY, "(unclosed")));
        assertEquals("backup.redact.pattern '(unclosed' is not a regular expression: Unclosed group", refused.getMessage());
    }
}
