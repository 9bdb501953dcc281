package io.rafty.storage;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import io.rafty.kv.Lease;

/**
 * One record of a state-machine image, as a snapshot ships it: the image's compact revision first,
 * then every key's current state (key order), then every kept history record (key order, then
 * revision order), then the idempotency table (key order), then the leases (id order), then the auth table (one record, when auth was ever enabled or changed). A node that installs the image serves the same reads at past revisions, and the
 * same watches, as the node that sent it.
 */
public sealed interface ImageRecord {

    /** The compact revision of the image; always the first record. */
    record Compaction(long compactRevision) implements ImageRecord {
    }

    /** A key's current state. */
    record Current(KvEntry entry) implements ImageRecord {
    }

    /** A change kept in the history (without its previous state, which the history itself holds). */
    record Past(Event event) implements ImageRecord {
    }

    /** An entry of the idempotency table. */
    record Deduped(Dedup dedup) implements ImageRecord {
    }

    /** A lease (which keys are attached to it, the {@link Current} records say). */
    record Leased(Lease lease) implements ImageRecord {
    }

    /** The auth table: users, roles, the signing key ({@link io.rafty.kv.AuthState#encode}). */
    record Authorized(io.rafty.kv.AuthState auth) implements ImageRecord {
    }
}
