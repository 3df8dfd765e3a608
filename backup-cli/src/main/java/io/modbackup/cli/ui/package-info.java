/**
 * The Cluster UI's backups section: an HTML page and its JSON, served by the JDK's HTTP server.
 */
package io.modbackup.cli.ui;
