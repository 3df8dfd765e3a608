/**
 * The embedded default provider: a local directory, with atomic renames and links, kernel-side copies,
 * and a journal of unsynced writes that lets a backup sync its objects once, at a barrier.
 */
package io.modbackup.core.provider.local;
