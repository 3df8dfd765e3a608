/**
 * Crashes on purpose: a switch a process's provider and runtime share, which kills both at a named point.
 */
package io.modbackup.testkit.crash;
