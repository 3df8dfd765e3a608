/**
 * A clock tests move by hand.
 */
package io.modbackup.testkit.time;
