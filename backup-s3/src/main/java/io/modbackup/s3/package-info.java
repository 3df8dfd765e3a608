/**
 * The S3 provider on the AWS SDK v2's asynchronous client: multipart uploads, streamed
 * downloads, paginated listing and batch deletes, configured by one argument.
 */
package io.modbackup.s3;
