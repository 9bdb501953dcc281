package io.rafty.sim;

import java.util.Objects;

/**
 * One recorded transaction.
 *
 * @param id           unique within its {@link TxnHistory}, in invocation-recording order
 * @param clientId     the client that issued it; informational only
 * @param invokeTime   when the client sent it
 * @param completeTime when the client saw the answer; {@link Long#MAX_VALUE} for {@link Status#UNKNOWN}
 * @param input        the transaction
 * @param status       how it ended (see {@link Outcome} for what each means; the same rules apply)
 * @param output       the answer for {@link Status#OK}, else {@code null}
 */
public record TxnOperation(int id, int clientId, long invokeTime, long completeTime, TxnInput input,
                           Status status, TxnOutput output) {

    /** OK: took effect once and answered; FAIL: definitely took no effect; UNKNOWN: may have, at any time. */
    public enum Status { OK, FAIL, UNKNOWN }

    public TxnOperation {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(status, "status");
        if (status == Status.UNKNOWN) {
            completeTime = Long.MAX_VALUE;
        }
        if (completeTime < invokeTime) {
            throw new IllegalArgumentException(
                    "operation " + id + " completes at " + completeTime + " before its invocation at " + invokeTime);
        }
        if ((status == Status.OK) != (output != null)) {
            throw new IllegalArgumentException("operation " + id + ": status " + status
                    + (output == null ? " needs an output" : " cannot have an output"));
        }
        if (output != null && output.reads().size() != TxnInput.readCount(input.branch(output.succeeded()))) {
            // A checker comparing reads position by position needs exactly one value per Get.
            throw new IllegalArgumentException("operation " + id + ": " + input.describe() + " cannot answer "
                    + output.describe() + ": its " + (output.succeeded() ? "success" : "failure")
                    + " branch has " + TxnInput.readCount(input.branch(output.succeeded())) + " gets");
        }
    }

    /** E.g. {@code #17 client 3 [120..131] if t0=="a" then put t0="b" else get t0 -> else read t0="c"}. */
    public String describe() {
        String end = completeTime == Long.MAX_VALUE ? "inf" : Long.toString(completeTime);
        String result = status == Status.OK ? output.describe(input) : status.name();
        return "#" + id + " client " + clientId + " [" + invokeTime + ".." + end + "] "
                + input.describe() + " -> " + result;
    }
}
