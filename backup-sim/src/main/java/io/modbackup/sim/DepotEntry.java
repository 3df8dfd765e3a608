package io.modbackup.sim;

/** One entry of a depot partition: its offset and payload. */
public record DepotEntry(long offset, byte[] payload) {
}
