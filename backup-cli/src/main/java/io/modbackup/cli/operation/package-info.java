/**
 * Operations: every backup, restore, GC, verify and key rotation run by the Conductor as a record with
 * an ID, a state, live progress and an outcome, kept in a bounded history that survives a restart, and
 * the rule that at most one mutating operation runs on a module at a time.
 */
package io.modbackup.cli.operation;
