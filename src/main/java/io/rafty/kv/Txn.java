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
 *   <li>A compare over a range ({@link Compare#rangeEnd()}) holds when it holds for every key in the
 *       range; an empty range compares as one missing key.</li>
 *   <li>Ops of the chosen branch run in order, and a {@code get} sees the branch's earlier writes, unless
 *       it reads at a past {@link Get#revision()}: then it sees the store as of that revision.</li>
 *   <li>A {@link Nested} op is a transaction inside the branch. Every compare, nested ones too, is
 *       evaluated against the state before the transaction's first op, so which branches run is decided
 *       before anything is written (etcd's order); a nested transaction's ops then run in their place.</li>
 *   <li>A branch writes each key at most once: two writes whose keys overlap (the same key, a key
 *       under a deleted prefix or range, nested prefixes) make the transaction invalid, so that one
 *       revision never holds two events for one key. A nested transaction counts with every key either
 *       of its branches writes (its two branches never both run, so they may write the same key). The
 *       API refuses such a transaction with a 400; a committed one (only a hostile peer could propose
 *       it) changes nothing on every node.</li>
 *   <li>Transactions nest at most {@link #MAX_NESTING_DEPTH} deep, so that every node's codec and runner
 *       recurse a bounded number of times.</li>
 * </ul>
 */
public record Txn(List<Compare> compares, List<Op> success, List<Op> failure) {

    /**
     * The deepest nesting of transactions (1: no nested one). A property of the log format, not a node's
     * setting: every node must decode the same entries, whatever its configuration.
     */
    public static final int MAX_NESTING_DEPTH = 32;

    public Txn {
        compares = List.copyOf(compares);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
        int depth = 1 + Math.max(nestedDepth(success), nestedDepth(failure));
        if (depth > MAX_NESTING_DEPTH) {
            throw new IllegalArgumentException("transactions nest " + depth + " deep; at most " + MAX_NESTING_DEPTH);
        }
    }

    /** What a compare looks at. */
    public enum Target { VALUE, REVISION, CREATE_REVISION, VERSION, LEASE, EXISTS }

    /** How a compare relates the key's field to the given value. */
    public enum Operator { EQUAL, NOT_EQUAL, LESS, GREATER }

    /**
     * One condition on one key, or on every key of a range: {@code value} for the VALUE target,
     * {@code number} for the others ({@code EXISTS}: 1 for true, 0 for false; only EQUAL and NOT_EQUAL).
     *
     * @param rangeEnd null: the condition is on {@code key}; else on every key in {@code [key, rangeEnd)}
     *                 (empty: every key from {@code key} on)
     */
    public record Compare(byte[] key, Target target, Operator operator, byte[] value, long number, byte[] rangeEnd) {

        public Compare {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(operator, "operator");
            if (target == Target.VALUE) {
                Objects.requireNonNull(value, "value");
            }
        }

        /** A compare on one key. */
        public Compare(byte[] key, Target target, Operator operator, byte[] value, long number) {
            this(key, target, operator, value, number, null);
        }

        public static Compare value(byte[] key, Operator operator, byte[] value) {
            return new Compare(key, Target.VALUE, operator, value, 0);
        }

        public static Compare number(byte[] key, Target target, Operator operator, long number) {
            return new Compare(key, target, operator, null, number);
        }

        /** This compare over every key in {@code [key, rangeEnd)} (empty: every key from {@code key} on). */
        public Compare overRange(byte[] rangeEnd) {
            return new Compare(key, target, operator, value, number, Objects.requireNonNull(rangeEnd, "rangeEnd"));
        }

        /** True when the compare is over a range of keys. */
        public boolean ranged() {
            return rangeEnd != null;
        }

        /** The keys compared: {@code key}, or the range. */
        public KeySelector keys() {
            return rangeEnd == null ? KeySelector.key(key) : KeySelector.range(key, rangeEnd);
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
    public sealed interface Op permits Put, Delete, Get, Nested {

        /** Every kind of op, for exhaustive switches. */
        enum Kind { PUT, DELETE, GET, TXN }

        Kind kind();

        /** True when the op may write (a nested transaction: when either branch may). */
        boolean writes();
    }

    /**
     * Sets {@code key} to {@code value}, attached to {@code lease} (0: none). With {@code ignoreValue} the
     * key keeps its current value (and {@code value} must be empty), with {@code ignoreLease} its current
     * lease ({@code lease} must be 0); either needs the key to exist when the transaction starts.
     */
    public record Put(byte[] key, byte[] value, long lease, boolean ignoreValue, boolean ignoreLease) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (ignoreValue && value.length != 0) {
                throw new IllegalArgumentException("a put that keeps the value carries none");
            }
            if (ignoreLease && lease != 0) {
                throw new IllegalArgumentException("a put that keeps the lease names none");
            }
        }

        public Put(byte[] key, byte[] value, long lease) {
            this(key, value, lease, false, false);
        }

        @Override
        public Kind kind() {
            return Kind.PUT;
        }

        @Override
        public boolean writes() {
            return true;
        }

        public KeySelector keys() {
            return KeySelector.key(key);
        }
    }

    /** Removes one key, every key under a prefix, or every key in a range (nothing when there is none). */
    public record Delete(KeySelector keys) implements Op {
        public Delete {
            Objects.requireNonNull(keys, "keys");
        }

        @Override
        public Kind kind() {
            return Kind.DELETE;
        }

        @Override
        public boolean writes() {
            return true;
        }
    }

    /**
     * Reads one key, or at most {@code limit} keys under a prefix or in a range, in key order; at
     * {@code revision} when it is not 0 (the store as it was then, which must not be compacted and must
     * be before the transaction's own revision).
     */
    public record Get(KeySelector keys, int limit, long revision) implements Op {
        public Get {
            Objects.requireNonNull(keys, "keys");
            if (limit < 1) {
                throw new IllegalArgumentException("a get's limit must be positive: " + limit);
            }
            if (revision < 0) {
                throw new IllegalArgumentException("a get's revision must not be negative: " + revision);
            }
        }

        public Get(KeySelector keys, int limit) {
            this(keys, limit, 0);
        }

        @Override
        public Kind kind() {
            return Kind.GET;
        }

        @Override
        public boolean writes() {
            return false;
        }
    }

    /** A transaction run as one op of a branch (etcd's {@code request_txn}); see the class rules. */
    public record Nested(Txn txn) implements Op {
        public Nested {
            Objects.requireNonNull(txn, "txn");
        }

        @Override
        public Kind kind() {
            return Kind.TXN;
        }

        @Override
        public boolean writes() {
            return !txn.readOnly();
        }
    }

    /** All ops of both branches (a nested transaction counts as one). */
    public int opCount() {
        return success.size() + failure.size();
    }

    /** How deep transactions nest: 1 when no op is a nested transaction. */
    public int depth() {
        return 1 + Math.max(nestedDepth(success), nestedDepth(failure));
    }

    private static int nestedDepth(List<Op> ops) {
        int depth = 0;
        for (Op op : ops) {
            if (op instanceof Nested nested) {
                depth = Math.max(depth, nested.txn().depth());
            }
        }
        return depth;
    }

    /** True when no branch writes, nested ones included: such a transaction is a read and needs no log entry. */
    public boolean readOnly() {
        return success.stream().noneMatch(Op::writes) && failure.stream().noneMatch(Op::writes);
    }

    /** The highest revision a get reads at, nested ones included (0: every get reads the current state). */
    public long maxReadRevision() {
        return Math.max(maxReadRevision(success), maxReadRevision(failure));
    }

    private static long maxReadRevision(List<Op> ops) {
        long max = 0;
        for (Op op : ops) {
            if (op instanceof Get get) {
                max = Math.max(max, get.revision());
            } else if (op instanceof Nested nested) {
                max = Math.max(max, nested.txn().maxReadRevision());
            }
        }
        return max;
    }

    /**
     * Why this transaction cannot run (two writes of one branch overlap, here or in a nested transaction),
     * or null when it can. Quadratic in a branch's writes, which the API bounds by {@code maxTxnOps}.
     */
    public String problem() {
        String problem = overlappingWrites(success, "success");
        return problem != null ? problem : overlappingWrites(failure, "failure");
    }

    private static String overlappingWrites(List<Op> branch, String name) {
        List<KeySelector> written = new ArrayList<>();
        for (int i = 0; i < branch.size(); i++) {
            Op op = branch.get(i);
            if (!op.writes()) {
                continue;
            }
            List<KeySelector> writes;
            if (op instanceof Nested nested) {
                String inner = nested.txn().problem();
                if (inner != null) {
                    return "in the transaction nested at " + name + "[" + i + "]: " + inner;
                }
                writes = nested.txn().writes();
            } else {
                writes = List.of(op instanceof Put put ? put.keys() : ((Delete) op).keys());
            }
            for (KeySelector earlier : written) {
                for (KeySelector keys : writes) {
                    if (earlier.overlaps(keys)) {
                        return "the " + name + " branch writes " + earlier + " and " + keys
                                + ", which overlap: a transaction writes each key at most once";
                    }
                }
            }
            written.addAll(writes);
        }
        return null;
    }

    /** Every selector either branch may write, nested transactions included. */
    private List<KeySelector> writes() {
        List<KeySelector> writes = new ArrayList<>();
        for (List<Op> branch : List.of(success, failure)) {
            for (Op op : branch) {
                switch (op.kind()) {
                    case PUT -> writes.add(((Put) op).keys());
                    case DELETE -> writes.add(((Delete) op).keys());
                    case TXN -> writes.addAll(((Nested) op).txn().writes());
                    case GET -> {
                    }
                }
            }
        }
        return writes;
    }
}
