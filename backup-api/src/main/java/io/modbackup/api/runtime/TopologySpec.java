package io.modbackup.api.runtime;

import java.util.List;
import java.util.Objects;

/**
 * A topology and the depots it subscribes to, possibly in other modules.
 *
 * @param name the topology name, e.g. {@code core}
 * @param kind microbatch or stream
 * @param subscriptions the depots whose entries it processes, tracking a processed offset in each
 *     partition
 */
public record TopologySpec(String name, TopologyKind kind, List<DepotRef> subscriptions) {
    public TopologySpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        subscriptions = List.copyOf(subscriptions);
    }
}
