/**
 * A store master key held by AWS KMS ({@link io.modbackup.s3.kms.KmsMasterKey}): the store's data key is
 * wrapped and unwrapped by KMS's Encrypt and Decrypt, so it is never stored in clear and the master key
 * never leaves KMS.
 */
package io.modbackup.s3.kms;
