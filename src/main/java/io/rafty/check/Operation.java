package io.rafty.check;

import java.util.Objects;

/**
 * One recorded client operation on one key.
 *
 * @param id             unique within its {@link History}, in invocation-recording order
 * @param clientId       the client (process) that issued it; informational only
 * @param invokeTime     when the client sent it, on the history's clock
 * @param completeTime   when the client saw the answer; {@link Long#MAX_VALUE} for {@link Outcome.Unknown}
 * @param input          what was asked
 * @param outcome        how it ended
 */
public record Operation(int id, int clientId, long invokeTime, long completeTime, KvInput input, Outcome outcome) {

    public Operation {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(outcome, "outcome");
        if (outcome instanceof Outcome.Unknown) {
            completeTime = Long.MAX_VALUE;
        }
        if (completeTime < invokeTime) {
            throw new IllegalArgumentException(
                    "operation " + id + " completes at " + completeTime + " before its invocation at " + invokeTime);
        }
        if (outcome instanceof Outcome.Ok ok && !input.accepts(ok.output())) {
            throw new IllegalArgumentException("operation " + id + ": " + input + " cannot answer " + ok.output());
        }
    }

    public String key() {
        return input.key();
    }

    /** E.g. {@code #17 client 3 [120..131] cas("a" -> "b") -> compare failed}. */
    public String describe() {
        String end = completeTime == Long.MAX_VALUE ? "inf" : Long.toString(completeTime);
        String result = outcome instanceof Outcome.Ok ok ? ok.output().describe()
                : outcome instanceof Outcome.Fail ? "FAIL" : "UNKNOWN";
        return "#" + id + " client " + clientId + " [" + invokeTime + ".." + end + "] "
                + input.describe() + " -> " + result;
    }
}
