/**
 * The embedded default provider: a local directory, with atomic renames and kernel-side copies.
 */
package io.modbackup.core.provider.local;
