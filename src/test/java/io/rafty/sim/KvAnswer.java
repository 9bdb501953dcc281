package io.rafty.sim;

/**
 * What the store answered a client: for a get, {@code value} (null = absent); for a delete,
 * {@code flag} = the key existed; for a compare-and-set, {@code flag} = swapped; a put is always
 * {@code flag = true}; for a transaction, {@code txn} (and {@code flag} = succeeded).
 */
record KvAnswer(String value, boolean flag, TxnOutput txn, boolean replayed) {

    KvAnswer(String value, boolean flag) {
        this(value, flag, null, false);
    }

    KvAnswer(String value, boolean flag, TxnOutput txn) {
        this(value, flag, txn, false);
    }

    /** The first attempt's answer, given again to a retry with the same idempotency key. */
    KvAnswer asReplayed() {
        return new KvAnswer(value, flag, txn, true);
    }

    @Override
    public String toString() {
        String answer = txn != null ? txn.describe() : value != null ? value : String.valueOf(flag);
        return replayed ? answer + " (replayed)" : answer;
    }
}
