package io.modbackup.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Keeps {@code docs/reliability.md} true: its multi-process failure rows are exactly the tests' cases. */
class ReliabilityDocTest {
    private static final Path DOC = Path.of("..", "docs", "reliability.md");

    @Test
    void everySupervisorAndConductorFailureCaseIsARow() throws Exception {
        String doc = Files.readString(DOC);
        String title = "\n## Supervisor and Conductor failures (multi-process)\n";
        int start = doc.indexOf(title);
        assertTrue(start >= 0, DOC + " has no section" + title);
        int end = doc.indexOf("\n## ", start + 1);
        Matcher row = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(doc.substring(start, end));
        List<String> rows = new ArrayList<>();
        while (row.find()) {
            rows.add(row.group(1));
        }
        List<String> tests = new ArrayList<>();
        for (Class<?> cases : List.of(SupervisorFailureTest.class, OperableAsShippedTest.class)) {
            for (var method : cases.getDeclaredMethods()) {
                if (method.isAnnotationPresent(Test.class)) {
                    tests.add(method.getName());
                }
            }
        }
        assertEquals(tests.stream().sorted().toList(), rows.stream().sorted().toList());
        assertTrue(doc.contains("**" + tests.size() + " Supervisor and Conductor failures**"), "the totals line counts them");
    }
}
