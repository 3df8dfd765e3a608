/**
 * Futures: waiting for one or all, and bounded fan-out over many (a window of work in flight).
 */
package io.modbackup.core.async;
