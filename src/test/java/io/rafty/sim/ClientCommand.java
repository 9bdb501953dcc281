package io.rafty.sim;

/**
 * What a simulated client asks of the store: one operation on one key, with string values so
 * histories read well, or a transaction over several keys ({@code txn}; {@code key} is then its
 * first key). {@code expected == null} in a compare-and-set means "the key is absent".
 */
record ClientCommand(Kind kind, String key, String expected, String value, TxnInput txn, String idempotencyKey) {

    enum Kind { PUT, GET, DELETE, CAS, TXN }

    ClientCommand(Kind kind, String key, String expected, String value) {
        this(kind, key, expected, value, null, null);
    }

    static ClientCommand txn(TxnInput txn) {
        String first = !txn.compares().isEmpty() ? txn.compares().get(0).key()
                : !txn.success().isEmpty() ? txn.success().get(0).key() : txn.failure().get(0).key();
        return new ClientCommand(Kind.TXN, first, null, null, txn, null);
    }

    /** This write, sent with an {@code Idempotency-Key}: every retry of it applies at most once in all. */
    ClientCommand withIdempotencyKey(String idempotencyKey) {
        return new ClientCommand(kind, key, expected, value, txn, idempotencyKey);
    }

    /** Whether it goes through the log: a read-only transaction is a read, like a get. */
    boolean isWrite() {
        return kind == Kind.TXN ? !txn.readOnly() : kind != Kind.GET;
    }

    @Override
    public String toString() {
        return idempotencyKey == null ? describe() : describe() + "[" + idempotencyKey + "]";
    }

    private String describe() {
        return switch (kind) {
            case PUT -> "put(" + key + "=" + value + ")";
            case GET -> "get(" + key + ")";
            case DELETE -> "delete(" + key + ")";
            case CAS -> "cas(" + key + ":" + expected + "->" + value + ")";
            case TXN -> "txn(" + txn.describe() + ")";
        };
    }
}
