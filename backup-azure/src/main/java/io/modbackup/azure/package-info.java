/**
 * The Azure Blob Storage provider: {@link io.modbackup.azure.AzureBlobBackupProvider} on the Azure SDK's
 * asynchronous Blob client, configured by {@link io.modbackup.azure.AzureProviderConfig}.
 */
package io.modbackup.azure;
