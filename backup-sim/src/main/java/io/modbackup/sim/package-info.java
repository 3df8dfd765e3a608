/**
 * The simulated Rama-like cluster. A <em>module</em> has tasks; each task, hosted by one
 * <em>Supervisor</em> ({@link io.modbackup.sim.SupervisorHost}), holds <em>depot</em> partitions
 * (append-only segment files), <em>PStates</em> (RocksDB, one store per topology) and the offsets its
 * topologies processed. The <em>Conductor</em> ({@link io.modbackup.sim.ConductorRuntime}) owns module
 * records, placements, restore markers and jars; it drives microbatches across Supervisors, takes
 * two-phase <em>cuts</em> and journals <em>installs</em>, and implements the backup engine's runtime SPI.
 * {@link io.modbackup.sim.SimulatedCluster} joins one Conductor and its Supervisors in one JVM by
 * direct calls; the cluster module joins them across processes over RPC. Nothing here depends on a
 * test library: it ships inside the Conductor and Supervisor processes.
 */
package io.modbackup.sim;
