package io.modbackup.api.runtime;

import java.util.Objects;

/** A depot named across modules: {@code module} owns {@code depot}. */
public record DepotRef(String module, String depot) {
    public DepotRef {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(depot, "depot");
    }

    @Override
    public String toString() {
        return module + "/" + depot;
    }
}
