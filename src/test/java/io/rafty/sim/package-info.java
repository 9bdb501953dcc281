/**
 * Deterministic simulation support. Client histories are recorded and checked with {@link io.rafty.check}
 * (register operations, one key at a time) and {@link io.rafty.sim.TxnSearch} (multi-key transactions).
 */
package io.rafty.sim;
