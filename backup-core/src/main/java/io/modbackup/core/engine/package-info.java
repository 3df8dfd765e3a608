/**
 * The engine. {@link io.modbackup.core.engine.BackupEngine} is the facade in the Conductor: a
 * <em>backup</em> captures a cut and has each task's <em>worker</em> upload its files; a
 * <em>restore</em> stages every task and then installs; the <em>catalog</em> lists, describes and
 * verifies. {@link io.modbackup.core.engine.TaskWorker} is the part that runs in each Supervisor.
 */
package io.modbackup.core.engine;
