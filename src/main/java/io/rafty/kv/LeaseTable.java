package io.rafty.kv;

import java.util.List;

/** The replicated lease table as last applied, readable without blocking (from the node's event loop). */
public interface LeaseTable {

    /** No leases: for drivers and tests that do not use them. */
    LeaseTable EMPTY = new LeaseTable() {
        @Override
        public Lease lease(long id) {
            return null;
        }

        @Override
        public List<Lease> leases() {
            return List.of();
        }
    };

    /** Lease {@code id}, or null. */
    Lease lease(long id);

    /** Every lease, in id order. */
    List<Lease> leases();
}
