/**
 * Master keys from configuration: {@code file:}, {@code env:} or a provider class.
 */
package io.modbackup.core.crypto;
