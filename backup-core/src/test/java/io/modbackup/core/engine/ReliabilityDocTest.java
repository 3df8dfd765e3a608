package io.modbackup.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/reliability.md} true: its crash-point, fault and corruption rows are exactly the
 * tests' cases, with the outcomes they assert.
 */
class ReliabilityDocTest {
    private static final Path DOC = Path.of("..", "docs", "reliability.md");

    /** The rows of a section: first-column name to the rest of the row. */
    static Map<String, String> rows(String section) throws IOException {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("\n## " + section + "\n");
        assertTrue(start >= 0, DOC + " has no section '" + section + "'");
        int end = doc.indexOf("\n## ", start + 1);
        String body = doc.substring(start, end < 0 ? doc.length() : end);
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `([^`]+)` \\|(.*)$").matcher(body);
        while (row.find()) {
            rows.put(row.group(1), row.group(2));
        }
        return rows;
    }

    private static List<String> cells(String rest) {
        return List.of(rest.split("\\|")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void everyCrashPointIsARowWithTheOutcomeTheTestAsserts() throws IOException {
        Map<String, String> rows = rows("Crash points");
        List<CrashPointsTest.CrashPoint> points = CrashPointsTest.crashPoints();
        assertEquals(points.stream().map(CrashPointsTest.CrashPoint::name).toList(), List.copyOf(rows.keySet()));
        for (CrashPointsTest.CrashPoint point : points) {
            List<String> cells = cells(rows.get(point.name()));
            assertEquals(point.live().name().toLowerCase(), cells.get(1), point.name() + ": live after");
            assertEquals(point.commits() ? "yes" : "no", cells.get(2), point.name() + ": visible");
        }
    }

    @Test
    void everyCorruptionAndTamperingCaseIsARowWithItsRefusal() throws IOException {
        Map<String, String> rows = rows("Corruption and tampering");
        List<CorruptionAndTamperingTest.Damage> damages = CorruptionAndTamperingTest.damages();
        assertEquals(damages.stream().map(CorruptionAndTamperingTest.Damage::name).toList(), List.copyOf(rows.keySet()));
        for (CorruptionAndTamperingTest.Damage damage : damages) {
            assertEquals("`" + damage.expected() + "`", cells(rows.get(damage.name())).get(1), damage.name());
        }
    }

    @Test
    void everyInjectedFaultCaseIsARowWithTheCountsTheTestAsserts() throws IOException {
        Map<String, String> rows = rows("Injected provider faults");
        List<String> tests = new java.util.ArrayList<>();
        for (Class<?> type : List.of(InjectedFaultsTest.class, SafetyTest.class)) {
            for (var method : type.getDeclaredMethods()) {
                if (method.isAnnotationPresent(Test.class)) {
                    tests.add(method.getName());
                }
            }
        }
        assertTrue(tests.containsAll(rows.keySet()), "every row is a test: " + rows.keySet() + " vs " + tests);
        for (var method : InjectedFaultsTest.class.getDeclaredMethods()) {
            if (method.isAnnotationPresent(Test.class)) {
                assertTrue(rows.containsKey(method.getName()), method.getName() + " is a row");
            }
        }
        int backups = InjectedFaultsTest.BACKUPS;
        int restores = InjectedFaultsTest.RESTORES;
        assertTrue(rows.get("tenPercentFailedAndSomeSlowOperationsLeaveOnlyWholeBackups")
                .contains(backups + " backups | " + backups + " of " + backups + " committed"), "the backups' count");
        assertTrue(rows.get("restoresAndGcUnderTenPercentFailedOperationsEndWholeOrNotAtAll")
                .contains(restores + " restores then a GC | " + restores + " of " + restores + " restored"), "the restores' count");
    }

    @Test
    void theTotalsLineAndTheRetryPolicyAreTheTestsAndTheEngines() throws IOException {
        String doc = java.nio.file.Files.readString(DOC);
        List<CorruptionAndTamperingTest.Damage> damages = CorruptionAndTamperingTest.damages();
        long corruptions = damages.stream().filter(d -> d.name().startsWith("corrupt.")).count();
        long tamperings = damages.stream().filter(d -> d.name().startsWith("tamper.")).count();
        assertEquals(damages.size(), corruptions + tamperings);
        assertTrue(doc.contains("**" + CrashPointsTest.crashPoints().size() + " crash points**"), "crash points");
        assertTrue(doc.contains("**" + rows("Injected provider faults").size() + " fault schedules**"), "fault schedules");
        assertTrue(doc.contains("**" + corruptions + " corruptions** and **" + tamperings + " tamperings**"),
                "corruptions and tamperings");
        assertTrue(doc.contains("retries every store operation up to " + BackupEngine.RETRY_ATTEMPTS
                + " times with jittered exponential backoff from " + BackupEngine.RETRY_FIRST_DELAY.toMillis() + " ms"),
                "the retry policy");
    }
}
