/**
 * The sealed form of an object: an <em>envelope</em> (header, zstd, AES-256-GCM bound to the object's
 * key), the <em>compression</em> setting and the store's <em>format record</em>.
 */
package io.modbackup.core.seal;
