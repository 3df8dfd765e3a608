/**
 * Leases in the store: shared ones for backups and restores, an exclusive one for GC, and the marker
 * by which a backup learns that a GC ran during it.
 */
package io.modbackup.core.lock;
