package io.modbackup.api.runtime;

import java.util.Objects;

/** A depot of a module, e.g. {@code *events}. It has one partition per task. */
public record DepotSpec(String name) {
    public DepotSpec {
        Objects.requireNonNull(name, "name");
    }
}
