package io.rafty.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of {@code rafty}, which scripts may rely on. One place maps a server's error answer to
 * a code, so every command agrees.
 */
public final class ExitCodes {

    /** The command did what was asked. */
    public static final int OK = 0;
    /** The key, lease or member does not exist, a precondition did not hold, or a transaction's compares failed. */
    public static final int NOT_FOUND_OR_FAILED = 1;
    /** The command line was wrong (picocli's errors), the input was bad, or the server answered 400. */
    public static final int USAGE = 2;
    /** No endpoint answered, or every endpoint answered 503 (no leader, overloaded, unavailable). */
    public static final int UNAVAILABLE = 3;
    /**
     * The server refused or could not complete the request for another reason: 409 conflicts, 410
     * compacted, 413 too large, 422 reused idempotency key, 504 outcome unknown, any other error status.
     * Kept apart from 1 so that {@code if ! rafty get k} does not read a conflict or a doubt as "absent".
     */
    public static final int SERVER_ERROR = 4;

    private ExitCodes() {
    }

    /** The code for an error answer: its status and the {@code "error"} code of its body. */
    public static int forError(int status, String errorCode) {
        if (status == 400) {
            return USAGE;
        }
        if (status == 412 || (status == 404 && errorCode != null && errorCode.endsWith("_not_found"))) {
            return NOT_FOUND_OR_FAILED;
        }
        if (status == 503) {
            return UNAVAILABLE;
        }
        return SERVER_ERROR;
    }

    /** Code → meaning, in the order {@code --help} lists them. */
    static Map<String, String> describe() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(Integer.toString(OK), "ok");
        codes.put(Integer.toString(NOT_FOUND_OR_FAILED), "not found (key, lease, member), precondition or "
                + "transaction compare failed");
        codes.put(Integer.toString(USAGE), "usage error or bad input (also a server's 400)");
        codes.put(Integer.toString(UNAVAILABLE), "unavailable: no endpoint answered, or all answered 503");
        codes.put(Integer.toString(SERVER_ERROR), "any other error answer (409, 410, 413, 422, 504, ...)");
        return codes;
    }
}
