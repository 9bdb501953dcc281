package io.rafty.sim;

/** One attempt of a simulated lease client: a grant, a put attached to a lease, or a keepalive. */
record LeaseRequest(int clientId, long attemptId, Kind kind, long lease, long ttlSeconds, String key) {

    enum Kind { GRANT, PUT, KEEPALIVE }

    @Override
    public String toString() {
        return switch (kind) {
            case GRANT -> "grant(ttl=" + ttlSeconds + ")";
            case PUT -> "put(" + key + ", lease " + lease + ")";
            case KEEPALIVE -> "keepalive(" + lease + ")";
        };
    }
}
