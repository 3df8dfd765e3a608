/**
 * The engine's own files on a node: directories only their user can enter ({@code 0700}) and files
 * only their user can read ({@code 0600}), so another local user can neither read what the engine
 * stages nor plant what it cleans up ({@link io.modbackup.api.fs.FileTrees} removes links rather than
 * following them); and many written files made durable together ({@link io.modbackup.core.fs.FileSync}).
 */
package io.modbackup.core.fs;
