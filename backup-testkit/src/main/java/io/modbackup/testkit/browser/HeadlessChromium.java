package io.modbackup.testkit.browser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium (the distribution's package, which .ci/run installs), rendering a page and
 * returning its DOM as Chromium built it. Each render is its own browser process with a fresh
 * profile, so nothing carries over between pages.
 */
public final class HeadlessChromium {
    /** Where the distribution's package installs it. */
    public static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
    private static final long RENDER_SECONDS = 60;

    private HeadlessChromium() {
    }

    /** Whether a test may run here: Chromium is installed, or this is CI, where its absence is a failure. */
    public static boolean availableOrRequired() {
        return Files.isExecutable(EXECUTABLE) || System.getenv("CI") != null;
    }

    /**
     * The DOM after Chromium loaded and rendered {@code url}, with its profile under {@code scratch}.
     *
     * @throws IllegalStateException when Chromium does not finish within a minute
     */
    public static String render(Path scratch, String url) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(scratch, "chromium-profile");
        Process process = new ProcessBuilder(EXECUTABLE.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(RENDER_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("chromium did not render " + url + " within " + RENDER_SECONDS + " s");
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
