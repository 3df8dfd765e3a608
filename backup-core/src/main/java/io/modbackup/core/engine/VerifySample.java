package io.modbackup.core.engine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Part {@code part} of {@code parts} of a store's chunks: the chunks a sampled verify downloads and
 * re-hashes (the others it checks for presence and size only). A chunk belongs to exactly one part,
 * decided by its name (a content hash, uniform whatever the content), so verifying parts 1 to
 * {@code parts} in turn reads every chunk once, at {@code 1/parts} of the egress a run: restic's
 * {@code check --read-data-subset n/t}.
 *
 * @param part which part, 1 to {@code parts}
 * @param parts how many parts the chunks are cut into, 1 to 10,000
 */
public record VerifySample(int part, int parts) {
    /** The most parts: finer would read next to nothing a run. */
    public static final int MAX_PARTS = 10_000;
    private static final Pattern FORM = Pattern.compile("(\\d{1,5})/(\\d{1,5})");

    public VerifySample {
        if (parts < 1 || parts > MAX_PARTS || part < 1 || part > parts) {
            throw invalid(part + "/" + parts);
        }
    }

    /**
     * Parses {@code n/t}, e.g. {@code 3/7}.
     *
     * @throws IllegalArgumentException saying what to write
     */
    public static VerifySample parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw invalid(text);
        }
        return new VerifySample(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /** The part that run {@code run} (0, 1, 2, ...) of a schedule verifies: parts 1 to {@code parts}, round and round. */
    public static VerifySample forRun(long run, int parts) {
        return new VerifySample((int) Math.floorMod(run, (long) parts) + 1, parts);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("verify sample '" + text + "' is not n/t with 1 <= n <= t <= " + MAX_PARTS
                + ": write e.g. 1/7 for the first seventh of the chunks, and 2/7 ... 7/7 on the next runs");
    }

    /** Whether the chunk named {@code sha} (lower-case hex, at least 12 digits) is in this part. */
    public boolean includes(String sha) {
        long value = Long.parseLong(sha.substring(0, 12), 16);
        return value % parts == part - 1;
    }

    @Override
    public String toString() {
        return part + "/" + parts;
    }
}
