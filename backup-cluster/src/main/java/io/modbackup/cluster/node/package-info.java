/**
 * The Conductor and Supervisor processes: their mains, what each serves over RPC, heartbeats, and
 * the endpoint records by which nodes find each other.
 */
package io.modbackup.cluster.node;
