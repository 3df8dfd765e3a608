/**
 * Errors that carry their facts: a {@link io.modbackup.core.error.BackupException} names its problem
 * and subject; a {@link io.modbackup.core.error.CorruptBackupException} says what in the store is damaged.
 */
package io.modbackup.core.error;
