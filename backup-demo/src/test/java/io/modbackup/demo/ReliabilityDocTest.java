package io.modbackup.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.CsvSource;

/** Keeps {@code docs/reliability.md} true: its bad-input and kill rows are exactly the tests' cases. */
class ReliabilityDocTest {
    private static final Path DOC = Path.of("..", "docs", "reliability.md");

    private static Map<String, List<String>> rows(String section) throws Exception {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("\n## " + section + "\n");
        assertTrue(start >= 0, DOC + " has no section '" + section + "'");
        int end = doc.indexOf("\n## ", start + 1);
        Map<String, List<String>> rows = new LinkedHashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `([^`]+)` \\|(.*)$").matcher(doc.substring(start, end < 0 ? doc.length() : end));
        while (row.find()) {
            rows.put(row.group(1), List.of(row.group(2).split("\\|")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
        }
        return rows;
    }

    @Test
    void everyBadInputCaseIsARowWithItsArgumentsAndMessage() throws Exception {
        CsvSource cases = CliTest.class.getDeclaredMethod("everyUserErrorIsOneClearLineAndANonZeroExit", String.class,
                String.class, String.class).getAnnotation(CsvSource.class);
        Map<String, List<String>> rows = rows("Bad input");
        List<String> names = new ArrayList<>();
        for (String line : cases.value()) {
            String[] c = line.split("\\|");
            names.add(c[0]);
            assertEquals(List.of("`" + c[1] + "`", "`" + c[2] + "`"), rows.get(c[0]), c[0]);
        }
        assertEquals(names, List.copyOf(rows.keySet()));
    }

    @Test
    void everyProcessKillIsARow() throws Exception {
        List<String> tests = List.of(ProcessKillTest.class.getDeclaredMethods()).stream()
                .filter(m -> m.isAnnotationPresent(Test.class)).map(m -> m.getName()).sorted().toList();
        assertEquals(2, tests.size(), tests.toString());
        assertEquals(List.of("kill.mid-backup", "kill.mid-restore"), List.copyOf(rows("Real process kills").keySet()));
    }

    @Test
    void theTotalsLineCountsTheKillsBadInputsAndBadConfigurations() throws Exception {
        String doc = Files.readString(DOC);
        int inputs = CliTest.class.getDeclaredMethod("everyUserErrorIsOneClearLineAndANonZeroExit", String.class,
                String.class, String.class).getAnnotation(CsvSource.class).value().length;
        assertTrue(doc.contains("**" + rows("Real process kills").size() + " real process kills**"), "kills in the totals");
        assertTrue(doc.contains("**" + inputs + " bad CLI inputs and " + CliTest.CONFIG_PROBLEMS + " bad configurations**"),
                "bad inputs and configurations in the totals");
    }
}
