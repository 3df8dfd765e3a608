/**
 * The storage SPI. A {@link io.modbackup.api.provider.BackupProvider} stores <em>objects</em> under
 * slash-separated <em>keys</em> and lists them by prefix in <em>pages</em>, every method returning a
 * future; {@link io.modbackup.api.provider.ForwardingBackupProvider} is the base of every decorator and
 * {@link io.modbackup.api.provider.ProviderLoader} builds one from {@code backup.provider: "<class> <arg>"}.
 */
package io.modbackup.api.provider;
