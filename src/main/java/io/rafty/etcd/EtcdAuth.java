package io.rafty.etcd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rafty.kv.KeySelector;
import io.rafty.kv.Txn;
import io.rafty.security.Auth;
import io.rafty.security.Permissions;

/**
 * Client auth on the etcd port (docs/SECURITY.md "The etcd port"): the principal {@link EtcdServer}'s gate found
 * for a call, in the call's gRPC {@link io.grpc.Context}, and the checks the KV and Watch services make with it —
 * the same rules as the HTTP API ({@link Permissions}). Every call gets a grant from the gate, {@link #ALL} when
 * auth is off; a check that finds none refuses, so a call that somehow skipped the gate is never let through.
 */
final class EtcdAuth {

    /** What a call may do: {@link #ALL} without auth, else its user. */
    record Grant(Auth.Principal principal) {
        boolean root() {
            return principal == null || principal.root();
        }
    }

    static final Grant ALL = new Grant(null);
    static final io.grpc.Context.Key<Grant> GRANT = io.grpc.Context.key("rafty-grant");
    /** etcd's ErrGRPCPermissionDenied. */
    static final String PERMISSION_DENIED = "etcdserver: permission denied";

    private EtcdAuth() {
    }

    /** The current call's grant; refused (PERMISSION_DENIED) when the gate left none. */
    static Grant grant() {
        Grant grant = GRANT.get();
        if (grant == null) {
            throw denied();
        }
        return grant;
    }

    static StatusRuntimeException denied() {
        return Status.PERMISSION_DENIED.withDescription(PERMISSION_DENIED).asRuntimeException();
    }

    static void requireRead(Grant grant, KeySelector keys) {
        require(grant, keys, Permissions.Need.READ);
    }

    static void requireWrite(Grant grant, KeySelector keys) {
        require(grant, keys, Permissions.Need.WRITE);
    }

    static void requireRoot(Grant grant) {
        if (!grant.root()) {
            throw denied();
        }
    }

    /** Every compare and op of {@code txn}, as {@link Permissions#txnRefusal}. */
    static void requireTxn(Grant grant, Txn txn) {
        if (!grant.root() && Permissions.txnRefusal(grant.principal().state(), grant.principal().user(), txn) != null) {
            throw denied();
        }
    }

    private static void require(Grant grant, KeySelector keys, Permissions.Need need) {
        if (!grant.root() && !Permissions.allows(grant.principal().state(), grant.principal().user(), keys, need)) {
            throw denied();
        }
    }

    /** The keys of an etcd range as a selector for the check: exact, so "\0" as range_end is "from key on". */
    static KeySelector keys(byte[] key, byte[] rangeEnd) {
        if (rangeEnd.length == 0) {
            return KeySelector.key(key.length == 0 ? new byte[] {0} : key);
        }
        if (rangeEnd.length == 1 && rangeEnd[0] == 0) {
            return KeySelector.from(key);
        }
        return KeySelector.range(key, rangeEnd);
    }
}
