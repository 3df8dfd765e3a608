/**
 * The demo: a multi-process cluster on the local provider, backed up while it writes, restored and
 * checked by the oracle.
 */
package io.modbackup.demo;
