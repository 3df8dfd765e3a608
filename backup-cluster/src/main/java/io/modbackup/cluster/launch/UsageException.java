package io.modbackup.cluster.launch;

/** A bad command line: one line, exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
