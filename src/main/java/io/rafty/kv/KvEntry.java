package io.rafty.kv;

/**
 * A stored key and its metadata. Revisions are Raft log indexes, so they grow across the cluster.
 *
 * @param key            the key bytes
 * @param value          the value bytes
 * @param revision       the index of the entry that last modified the key
 * @param createRevision the index of the entry that created it (after its last deletion)
 * @param version        how many times it was written since it was created (1 after creation)
 * @param lease          the lease the key is attached to (it is deleted when the lease ends), 0 for none
 */
public record KvEntry(byte[] key, byte[] value, long revision, long createRevision, long version, long lease) {

    /** A key attached to no lease. */
    public KvEntry(byte[] key, byte[] value, long revision, long createRevision, long version) {
        this(key, value, revision, createRevision, version, 0);
    }
}
