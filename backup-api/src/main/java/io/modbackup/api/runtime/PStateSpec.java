package io.modbackup.api.runtime;

import java.util.Objects;

/** A PState of a module, e.g. {@code $$totals}, written only by its owning topology. */
public record PStateSpec(String name, String topology) {
    public PStateSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(topology, "topology");
    }
}
