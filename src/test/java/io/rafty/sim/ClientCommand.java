package io.rafty.sim;

/**
 * What a simulated client asks of the store: one operation on one key, with string values so
 * histories read well. {@code expected == null} in a compare-and-set means "the key is absent".
 */
record ClientCommand(Kind kind, String key, String expected, String value) {

    enum Kind { PUT, GET, DELETE, CAS }

    boolean isWrite() {
        return kind != Kind.GET;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PUT -> "put(" + key + "=" + value + ")";
            case GET -> "get(" + key + ")";
            case DELETE -> "delete(" + key + ")";
            case CAS -> "cas(" + key + ":" + expected + "->" + value + ")";
        };
    }
}
