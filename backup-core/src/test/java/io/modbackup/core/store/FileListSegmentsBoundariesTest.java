package io.modbackup.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Segment boundaries are part of the stored format (a backup shares a segment only where its cut lines up
 * with the last one's): the reused digest must decide exactly as a fresh SHA-256 of each path does.
 */
class FileListSegmentsBoundariesTest {
    private static boolean reference(String path) throws Exception {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
        return (((hash[0] & 0xFF) << 8) | (hash[1] & 0xFF)) % FileListSegments.SEGMENT_DIVISOR == 0;
    }

    @Test
    void oneDigestDecidesAsAFreshHashOfEveryPath() throws Exception {
        FileListSegments.Boundaries boundaries = new FileListSegments.Boundaries();
        Random random = new Random(11);
        int ends = 0;
        for (int i = 0; i < 20_000; i++) {
            String path = "depots/*events/" + "é".repeat(random.nextInt(3)) + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)
                    + ".seg";
            boolean expected = reference(path);
            assertEquals(expected, boundaries.endsSegment(1, path), path);
            ends += expected ? 1 : 0;
        }
        // About one path in 128 ends a segment: 156 expected of 20,000.
        assertTrue(ends > 100 && ends < 220, "boundaries: " + ends);
        assertTrue(boundaries.endsSegment(FileListSegments.MAX_SEGMENT_FILES, "pstates/a/CURRENT"));
    }
}
