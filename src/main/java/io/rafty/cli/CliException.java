package io.rafty.cli;

/**
 * A failure the command reports as one line on stderr and an exit code ({@link ExitCodes}); never a
 * stack trace. {@link RaftyCli} prints it.
 */
public class CliException extends RuntimeException {

    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Bad input the command found itself (a file that is not JSON, a negative TTL): exit code 2. */
    public static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /**
     * A server's error answer as {@code <code>: <message>}, with the exit code {@link ExitCodes#forError}
     * gives it.
     */
    public static CliException fromResponse(RaftyHttp.Response response) {
        String code = response.errorCode();
        String message = response.errorMessage();
        return new CliException(ExitCodes.forError(response.status(), code),
                (code == null ? "HTTP " + response.status() : code) + (message == null ? "" : ": " + message));
    }
}
