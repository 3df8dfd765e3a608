/**
 * Periodic backups and GC: {@link io.modbackup.cli.schedule.BackupScheduler} reads each module's
 * dynamic options on every tick; {@link io.modbackup.cli.schedule.BackupMetrics} is what it reports.
 */
package io.modbackup.cli.schedule;
