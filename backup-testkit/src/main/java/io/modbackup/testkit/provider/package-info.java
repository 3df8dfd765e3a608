/**
 * For provider authors: the provider contract suite, an in-memory provider and one that injects faults.
 */
package io.modbackup.testkit.provider;
