/**
 * Garbage collection: which backups a <em>retention policy</em> drops, and which chunks, segments
 * and manifests nothing kept can reach, counted incrementally in the <em>GC state</em>.
 */
package io.modbackup.core.gc;
