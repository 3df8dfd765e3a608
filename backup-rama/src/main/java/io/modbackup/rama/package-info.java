/**
 * Adapters between Rama's provider interface and ours, both ways, so a Rama cluster backs up through
 * any modbackup provider and ours runs on any Rama provider.
 */
package io.modbackup.rama;
