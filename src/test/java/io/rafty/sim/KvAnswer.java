package io.rafty.sim;

/**
 * What the store answered a client: for a get, {@code value} (null = absent); for a delete,
 * {@code flag} = the key existed; for a compare-and-set, {@code flag} = swapped; a put is always
 * {@code flag = true}.
 */
record KvAnswer(String value, boolean flag) {

    @Override
    public String toString() {
        return value != null ? value : String.valueOf(flag);
    }
}
