/**
 * Benchmarks that report ratios measured in one run against what a user would run instead
 * ({@code cp -r}, restic, borg, raw S3 puts), and the cut pause across Supervisor JVMs.
 */
package io.modbackup.bench;
