/**
 * File-tree helpers a runtime or a provider needs and the JDK lacks: removing a tree without ever
 * following a link out of it.
 */
package io.modbackup.api.fs;
