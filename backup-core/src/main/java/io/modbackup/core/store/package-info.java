/**
 * The store's structure ({@link io.modbackup.core.store.StoreLayout}): <em>chunks</em> named by
 * content ({@link io.modbackup.core.store.ChunkStore}), manifests ({@link io.modbackup.core.store.BackupStore}),
 * the newest-first <em>index</em>, the <em>owner record</em>, and the layers under them: sealing
 * (with the format record and data keys in {@link io.modbackup.core.store.StoreKeys}) and retries.
 */
package io.modbackup.core.store;
