/**
 * Manifests: a <em>module manifest</em> commits a backup and references one <em>task manifest</em> per
 * task, which lists <em>segments</em> of <em>file entries</em>, each naming its chunks; the codec
 * checks versions, checksums and paths.
 */
package io.modbackup.core.manifest;
