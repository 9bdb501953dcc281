package io.rafty.sim;

/**
 * What the store answered a client: for a get, {@code value} (null = absent); for a delete,
 * {@code flag} = the key existed; for a compare-and-set, {@code flag} = swapped; a put is always
 * {@code flag = true}; for a transaction, {@code txn} (and {@code flag} = succeeded).
 */
record KvAnswer(String value, boolean flag, TxnOutput txn) {

    KvAnswer(String value, boolean flag) {
        this(value, flag, null);
    }

    @Override
    public String toString() {
        return txn != null ? txn.describe() : value != null ? value : String.valueOf(flag);
    }
}
