/**
 * JSON-RPC over the JDK's HTTP server and client with Jackson: an interface's methods served as
 * {@code POST /rpc/<service>/<method>} and called through a proxy, each call under a deadline.
 */
package io.modbackup.cluster.rpc;
