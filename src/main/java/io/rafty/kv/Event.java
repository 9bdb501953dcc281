package io.rafty.kv;

/**
 * One change to one key at one revision: what the history stores and what a watcher receives.
 *
 * @param type  put or delete
 * @param entry the key's state after the change; for a delete, the key with an empty value,
 *              {@code revision} set to the delete's revision and {@code createRevision} and
 *              {@code version} 0 (as etcd reports a delete)
 * @param prev  the key's state just before the change, or null when it did not exist (or when the
 *              reader did not ask for it)
 */
public record Event(Type type, KvEntry entry, KvEntry prev) {

    /** The kind of change. */
    public enum Type { PUT, DELETE }

    private static final byte[] EMPTY = new byte[0];

    public static Event put(KvEntry entry, KvEntry prev) {
        return new Event(Type.PUT, entry, prev);
    }

    public static Event delete(byte[] key, long revision, KvEntry prev) {
        return new Event(Type.DELETE, new KvEntry(key, EMPTY, revision, 0, 0), prev);
    }

    public long revision() {
        return entry.revision();
    }

    public byte[] key() {
        return entry.key();
    }

    /** This event without its previous state. */
    public Event withoutPrev() {
        return prev == null ? this : new Event(type, entry, null);
    }

    /** About how many bytes the event holds (keys and values), for queue limits. */
    public long sizeBytes() {
        long size = 48L + entry.key().length + entry.value().length;
        return prev == null ? size : size + 32L + prev.key().length + prev.value().length;
    }
}
