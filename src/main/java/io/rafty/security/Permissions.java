package io.rafty.security;

import io.rafty.kv.AuthState;
import io.rafty.kv.KeySelector;
import io.rafty.kv.Txn;
import java.util.Arrays;
import java.util.List;

/**
 * The permission matcher: does a user's set of prefix permissions cover a key, a prefix or a range?
 *
 * <p>A permission on prefix {@code Q} covers the keys {@code [Q, end(Q))}, where {@code end(Q)} is the first key
 * after every key starting with {@code Q} (none for the empty prefix, which covers every key). A request on a set
 * of keys is allowed when <em>one</em> permission with the right access covers the whole set: a key {@code K} is
 * the set {@code [K, K\0)}, a prefix {@code P} is {@code [P, end(P))}, a range is itself. So read on {@code app/}
 * allows a get of {@code app/x} and a list or watch of {@code app/} or {@code app/sub/}, but not a list of
 * {@code ap} or of the empty prefix, whose keys reach outside {@code app/} (etcd advisory GHSA-xg4h-6gfc-h4m8 is
 * this mistake). Permissions are not added together: {@code a/} and {@code b/} do not make a list of {@code ""}
 * readable, even if no other key exists — what exists can change between the check and the read.
 */
public final class Permissions {

    private Permissions() {
    }

    /** The access a request needs. */
    public enum Need { READ, WRITE }

    /** True when {@code user} (a root user always) may {@code need} every key of {@code keys}. */
    public static boolean allows(AuthState state, AuthState.User user, KeySelector keys, Need need) {
        if (user.isRoot()) {
            return true;
        }
        return covers(state.permissions(user), keys, need);
    }

    /** True when one of {@code permissions} with the access {@code need} covers every key of {@code keys}. */
    public static boolean covers(List<AuthState.Permission> permissions, KeySelector keys, Need need) {
        byte[] start;
        byte[] end;
        switch (keys.kind()) {
            case KEY -> {
                start = keys.bytes();
                end = Arrays.copyOf(keys.bytes(), keys.bytes().length + 1);
            }
            case PREFIX -> {
                start = keys.bytes();
                end = prefixEnd(keys.bytes());
            }
            default -> {
                start = keys.bytes();
                end = keys.end().length == 0 ? null : keys.end();
            }
        }
        AuthState.Access wanted = need == Need.READ ? AuthState.Access.READ : AuthState.Access.WRITE;
        for (AuthState.Permission permission : permissions) {
            if (permission.access().allows(wanted) && covers(permission.prefix(), start, end)) {
                return true;
            }
        }
        return false;
    }

    /** True when the keys starting with {@code prefix} include all of {@code [start, end)} (end null: no end). */
    static boolean covers(byte[] prefix, byte[] start, byte[] end) {
        if (Arrays.compareUnsigned(prefix, start) > 0) {
            return false;
        }
        byte[] prefixEnd = prefixEnd(prefix);
        if (prefixEnd == null) {
            return true;
        }
        return end != null && Arrays.compareUnsigned(end, prefixEnd) <= 0;
    }

    /** The first key after every key that starts with {@code prefix}; null when there is none (no end). */
    static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return null;
    }

    /**
     * The first part of {@code txn} that {@code user} may not do, described for the 403 message, or null when it
     * may do all of it: every compare and every get needs read on its keys, every put and delete write on its
     * keys, in both branches and in nested transactions (whichever branch runs, the check cannot know before).
     */
    public static String txnRefusal(AuthState state, AuthState.User user, Txn txn) {
        if (user.isRoot()) {
            return null;
        }
        List<AuthState.Permission> permissions = state.permissions(user);
        for (int i = 0; i < txn.compares().size(); i++) {
            Txn.Compare compare = txn.compares().get(i);
            KeySelector keys = compare.ranged() ? KeySelector.range(compare.key(), compare.rangeEnd())
                    : KeySelector.key(compare.key());
            if (!covers(permissions, keys, Need.READ)) {
                return "compare " + i + " needs read on its key";
            }
        }
        String refused = opsRefusal(permissions, txn.success(), "success");
        return refused != null ? refused : opsRefusal(permissions, txn.failure(), "failure");
    }

    private static String opsRefusal(List<AuthState.Permission> permissions, List<Txn.Op> ops, String branch) {
        for (int i = 0; i < ops.size(); i++) {
            Txn.Op op = ops.get(i);
            String where = branch + " op " + i;
            switch (op.kind()) {
                case PUT -> {
                    if (!covers(permissions, KeySelector.key(((Txn.Put) op).key()), Need.WRITE)) {
                        return where + " (put) needs write on its key";
                    }
                }
                case DELETE -> {
                    if (!covers(permissions, ((Txn.Delete) op).keys(), Need.WRITE)) {
                        return where + " (delete) needs write on all its keys";
                    }
                }
                case GET -> {
                    if (!covers(permissions, ((Txn.Get) op).keys(), Need.READ)) {
                        return where + " (get) needs read on all its keys";
                    }
                }
                case TXN -> {
                    Txn nested = ((Txn.Nested) op).txn();
                    for (Txn.Compare compare : nested.compares()) {
                        KeySelector keys = compare.ranged() ? KeySelector.range(compare.key(), compare.rangeEnd())
                                : KeySelector.key(compare.key());
                        if (!covers(permissions, keys, Need.READ)) {
                            return where + " (nested transaction) has a compare that needs read on its key";
                        }
                    }
                    String refused = opsRefusal(permissions, nested.success(), where + " success");
                    if (refused == null) {
                        refused = opsRefusal(permissions, nested.failure(), where + " failure");
                    }
                    if (refused != null) {
                        return refused;
                    }
                }
            }
        }
        return null;
    }
}
