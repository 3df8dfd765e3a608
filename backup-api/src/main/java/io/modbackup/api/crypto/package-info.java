/**
 * The master-key SPI. A <em>master key</em> wraps and unwraps a store's <em>data key</em> with a
 * context; a key management service implements {@link io.modbackup.api.crypto.MasterKeyProvider}.
 */
package io.modbackup.api.crypto;
