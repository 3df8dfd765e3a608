/**
 * The runtime SPI a cluster implements for the engine. A <em>module</em> has <em>tasks</em>; a
 * <em>cut</em> ({@link io.modbackup.api.runtime.CutDescriptor}) pins a consistent set of each task's
 * files; a <em>restore</em> stages files into a {@link io.modbackup.api.runtime.SupervisorRuntime} and
 * installs them atomically, leaving a <em>restore marker</em> that topologies recalibrate against.
 */
package io.modbackup.api.runtime;
