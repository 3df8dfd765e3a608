/**
 * Content hashes: SHA-256, or in an encrypted store HMAC-SHA256 under a derived key, so that chunk
 * names do not confirm a guessed file.
 */
package io.modbackup.core.hash;
