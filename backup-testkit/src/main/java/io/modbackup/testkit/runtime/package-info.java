/**
 * For runtime authors: the runtime contract suite (cuts, pins, staging, atomic installs, recalibration).
 */
package io.modbackup.testkit.runtime;
