package io.rafty.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KeyValue;
import io.rafty.kv.KvEntry;

/** Rafty's entries as etcd's {@code mvccpb.KeyValue}; public for the Watch and Lease services. */
public final class EtcdKv {

    private EtcdKv() {
    }

    /** The entry with its value (revisions are log indexes). */
    public static KeyValue of(KvEntry entry) {
        return of(entry, false);
    }

    /** The entry, without its value when {@code keysOnly}. */
    public static KeyValue of(KvEntry entry, boolean keysOnly) {
        KeyValue.Builder kv = KeyValue.newBuilder()
                .setKey(ByteString.copyFrom(entry.key()))
                .setCreateRevision(entry.createRevision())
                .setModRevision(entry.revision())
                .setVersion(entry.version())
                .setLease(entry.lease());
        if (!keysOnly) {
            kv.setValue(ByteString.copyFrom(entry.value()));
        }
        return kv.build();
    }
}
