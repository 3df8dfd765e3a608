/**
 * Starting, stopping and faulting the multi-process cluster ({@code bin/cluster}), the CLI as a
 * client of the Conductor ({@code bin/backup}), and the oracle run against a live cluster.
 */
package io.modbackup.cluster.launch;
