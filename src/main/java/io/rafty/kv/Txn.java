package io.rafty.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A multi-key transaction (DESIGN §4, in the manner of etcd v3's Txn): if every compare holds, the
 * {@code success} ops run, otherwise the {@code failure} ops, all at one revision. Pure data plus the
 * rules every node applies alike; {@link TxnRunner} evaluates it against a state.
 *
 * <p>Rules:
 * <ul>
 *   <li>Compares are ANDed. A missing key compares as zeros for {@code revision}, {@code createRevision},
 *       {@code version} and {@code lease}, as {@code false} for {@code exists}, and fails every
 *       {@code value} compare (there is no value to compare). Values compare as unsigned bytes.</li>
 *   <li>Ops of the chosen branch run in order, and a {@code get} sees the branch's earlier writes.</li>
 *   <li>A branch writes each key at most once: two writes whose keys overlap (the same key, a key
 *       under a deleted prefix, nested prefixes) make the transaction invalid, so that one revision
 *       never holds two events for one key. The API refuses such a transaction with a 400; a committed
 *       one (only a hostile peer could propose it) changes nothing on every node.</li>
 * </ul>
 */
public record Txn(List<Compare> compares, List<Op> success, List<Op> failure) {

    public Txn {
        compares = List.copyOf(compares);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
    }

    /** What a compare looks at. */
    public enum Target { VALUE, REVISION, CREATE_REVISION, VERSION, LEASE, EXISTS }

    /** How a compare relates the key's field to the given value. */
    public enum Operator { EQUAL, NOT_EQUAL, LESS, GREATER }

    /**
     * One condition on one key: {@code value} for the VALUE target, {@code number} for the others
     * ({@code EXISTS}: 1 for true, 0 for false; only EQUAL and NOT_EQUAL).
     */
    public record Compare(byte[] key, Target target, Operator operator, byte[] value, long number) {

        public Compare {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(operator, "operator");
            if (target == Target.VALUE) {
                Objects.requireNonNull(value, "value");
            }
        }

        public static Compare value(byte[] key, Operator operator, byte[] value) {
            return new Compare(key, Target.VALUE, operator, value, 0);
        }

        public static Compare number(byte[] key, Target target, Operator operator, long number) {
            return new Compare(key, target, operator, null, number);
        }

        /** True when this compare holds for {@code current} (null: the key is absent). */
        public boolean holds(KvEntry current) {
            if (target == Target.VALUE) {
                return current != null && matches(Arrays.compareUnsigned(current.value(), value));
            }
            long actual = current == null ? 0 : switch (target) {
                case REVISION -> current.revision();
                case CREATE_REVISION -> current.createRevision();
                case VERSION -> current.version();
                case LEASE -> current.lease();
                case EXISTS -> 1;
                case VALUE -> throw new AssertionError("handled above");
            };
            return matches(Long.compare(actual, number));
        }

        private boolean matches(int comparison) {
            return switch (operator) {
                case EQUAL -> comparison == 0;
                case NOT_EQUAL -> comparison != 0;
                case LESS -> comparison < 0;
                case GREATER -> comparison > 0;
            };
        }
    }

    /** One op of a branch. */
    public sealed interface Op permits Put, Delete, Get {

        /** Every kind of op, for exhaustive switches. */
        enum Kind { PUT, DELETE, GET }

        Kind kind();

        /** The keys the op reads or writes. */
        KeySelector keys();

        default boolean writes() {
            return kind() != Kind.GET;
        }
    }

    /** Sets {@code key} to {@code value}, attached to {@code lease} (0: none). */
    public record Put(byte[] key, byte[] value, long lease) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public Kind kind() {
            return Kind.PUT;
        }

        @Override
        public KeySelector keys() {
            return KeySelector.key(key);
        }
    }

    /** Removes one key, or every key under a prefix (nothing when there is none). */
    public record Delete(KeySelector keys) implements Op {
        public Delete {
            Objects.requireNonNull(keys, "keys");
        }

        @Override
        public Kind kind() {
            return Kind.DELETE;
        }
    }

    /** Reads one key, or at most {@code limit} keys under a prefix in key order. */
    public record Get(KeySelector keys, int limit) implements Op {
        public Get {
            Objects.requireNonNull(keys, "keys");
            if (limit < 1) {
                throw new IllegalArgumentException("a get's limit must be positive: " + limit);
            }
        }

        @Override
        public Kind kind() {
            return Kind.GET;
        }
    }

    /** All ops of both branches. */
    public int opCount() {
        return success.size() + failure.size();
    }

    /** True when no branch writes: such a transaction is a read and needs no log entry. */
    public boolean readOnly() {
        return success.stream().noneMatch(Op::writes) && failure.stream().noneMatch(Op::writes);
    }

    /**
     * Why this transaction cannot run (two writes of one branch overlap), or null when it can. Quadratic
     * in a branch's writes, which the API bounds by {@code maxTxnOps}.
     */
    public String problem() {
        String problem = overlappingWrites(success, "success");
        return problem != null ? problem : overlappingWrites(failure, "failure");
    }

    private static String overlappingWrites(List<Op> branch, String name) {
        List<KeySelector> written = new ArrayList<>();
        for (Op op : branch) {
            if (!op.writes()) {
                continue;
            }
            for (KeySelector earlier : written) {
                if (overlap(earlier, op.keys())) {
                    return "the " + name + " branch writes " + earlier + " and " + op.keys()
                            + ", which overlap: a transaction writes each key at most once";
                }
            }
            written.add(op.keys());
        }
        return null;
    }

    private static boolean overlap(KeySelector a, KeySelector b) {
        if (a.prefix() && b.prefix()) {
            return a.matches(b.bytes()) || b.matches(a.bytes());
        }
        if (a.prefix()) {
            return a.matches(b.bytes());
        }
        return b.prefix() ? b.matches(a.bytes()) : Arrays.equals(a.bytes(), b.bytes());
    }
}
