package io.rafty.raft;

/**
 * The core found itself in a state that correct Raft never reaches: two leaders of one term, a
 * conflicting entry at a committed index, a commit past the log's end. Whatever caused it (a bug,
 * corrupted storage, a forged message), this node can no longer be trusted to keep its promises;
 * the host fences it loudly instead of logging and carrying on.
 */
public final class BrokenInvariantException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public BrokenInvariantException(String message) {
        super(message);
    }
}
