package io.modbackup.testkit.crash;

/**
 * The process died at a named crash point. An {@link Error}, not an exception, so that code which
 * cleans up after failures ({@code catch (RuntimeException e)}) does not run, as it would not in a
 * process that was killed.
 */
public final class SimulatedCrash extends Error {
    private final String point;

    public SimulatedCrash(String point) {
        super("simulated crash at " + point, null, false, false);
        this.point = point;
    }

    /** The crash point that fired. */
    public String point() {
        return point;
    }
}
