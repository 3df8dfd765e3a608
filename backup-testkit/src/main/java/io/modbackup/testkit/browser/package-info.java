/** A real browser for tests of the Cluster UI: headless Chromium, run once per page. */
package io.modbackup.testkit.browser;
