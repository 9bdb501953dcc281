package io.rafty.sim;

/** A safety or liveness property of the cluster failed during a simulation. */
final class InvariantViolation extends RuntimeException {

    private static final long serialVersionUID = 1L;

    InvariantViolation(String message) {
        super(message, null, false, false);
    }

    InvariantViolation(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
