package io.rafty.kv;

/**
 * A compare-and-set guard on a write. Every non-null field must hold for the write to apply.
 *
 * @param prevValue    the current value must equal these bytes
 * @param prevRevision the key's current (modification) revision must equal this
 * @param prevExist    the key must exist (true) or be absent (false)
 */
public record Precondition(byte[] prevValue, Long prevRevision, Boolean prevExist) {

    public static final Precondition NONE = new Precondition(null, null, null);

    public boolean isNone() {
        return prevValue == null && prevRevision == null && prevExist == null;
    }
}
