/**
 * The {@code backup} command: reads a config file, connects to a cluster through a
 * {@link io.modbackup.cli.command.ClusterConnector}, runs one action and words every engine problem
 * as one line naming the user's own flags.
 */
package io.modbackup.cli.command;
