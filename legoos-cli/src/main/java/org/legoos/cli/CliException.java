package org.legoos.cli;

/** A failure a command reports as one line and an exit code ({@link Lego#EXIT_FAILURE}, {@link Lego#EXIT_USAGE}...). */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
