package io.modbackup.core.engine;

import static io.modbackup.core.engine.EngineFixture.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modbackup.core.gc.RetentionPolicy;
import io.modbackup.testkit.time.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Listing page by page while backups commit and GCs delete between the pages: the pages concatenate to
 * a newest-first list without repeats that holds every backup there from the first page to the last,
 * and nothing that never was. A failing case names its seed; {@code -Dmodbackup.model.seed=S} replays it.
 */
class PageTokensModelTest {
    @TempDir
    Path dir;

    static List<Long> seeds() {
        String one = System.getProperty("modbackup.model.seed");
        return one != null ? List.of(Long.parseLong(one)) : List.of(3L, 5L, 8L, 13L);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void pagesTakenAcrossBackupsAndGcsConcatenateToTheList(long seed) throws Exception {
        Random random = new Random(seed);
        MutableClock clock = new MutableClock(1_950_000_000_000L);
        try (EngineFixture f = new EngineFixture(dir);
             BackupEngine engine = new BackupEngine(f.cluster, f.provider, f.options, null, clock)) {
            f.write(200);
            List<String> everCommitted = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                clock.advance(Duration.ofSeconds(1));
                everCommitted.add(engine.backup(A).backupId());
            }
            Set<String> atStart = new HashSet<>(everCommitted);
            List<String> pages = new ArrayList<>();
            int pageSize = 1 + random.nextInt(4);
            String token = null;
            List<String> events = new ArrayList<>();
            do {
                BackupPage page = engine.list(A, token, pageSize);
                page.backups().forEach(b -> pages.add(b.backupId()));
                token = page.nextPageToken();
                int choice = random.nextInt(3);
                if (choice == 0) {
                    clock.advance(Duration.ofSeconds(1));
                    String id = engine.backup(A).backupId();
                    everCommitted.add(id);
                    events.add("backup " + id);
                } else if (choice == 1) {
                    int kept = engine.list(A, null, 1000).backups().size();
                    int keep = Math.max(1, kept - 1 - random.nextInt(3));
                    f.cluster.setDynamicOption(A, RetentionPolicy.MAX_AGE_HOURS, "0");
                    f.cluster.setDynamicOption(A, RetentionPolicy.MIN_BACKUPS_TO_KEEP, String.valueOf(keep));
                    clock.advance(Duration.ofSeconds(1));
                    events.add("GC deleted " + engine.gc(false).deletedBackups());
                } else {
                    events.add("nothing");
                }
            } while (token != null);
            Set<String> atEnd = new HashSet<>(engine.list(A, null, 1000).backups().stream().map(BackupSummary::backupId).toList());
            String what = "seed " + seed + " (replay: -Dmodbackup.model.seed=" + seed + "), pages of " + pageSize + " with "
                    + events + ": " + pages;
            assertEquals(pages.size(), new HashSet<>(pages).size(), what + ": no backup listed twice");
            List<String> newestFirst = new ArrayList<>(pages);
            newestFirst.sort(java.util.Comparator.comparing(io.modbackup.core.store.BackupId::parse).reversed());
            assertEquals(newestFirst, pages, what + ": newest first");
            for (String id : atStart) {
                if (atEnd.contains(id)) {
                    assertTrue(pages.contains(id), what + ": " + id + " was there throughout and is listed");
                }
            }
            assertTrue(everCommitted.containsAll(pages), what + ": nothing listed that was never committed");
        }
    }
}
