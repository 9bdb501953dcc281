package io.rafty.etcd;

import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KeySelector;
import io.rafty.kv.Txn;
import java.util.ArrayList;
import java.util.List;

/**
 * etcd's {@code TxnRequest} as Rafty's {@link Txn}, which runs the same way: compares ANDed, over one key
 * or every key of a range; one branch; nested transactions whose compares are all evaluated before any op
 * runs; one revision. Ranges and deletes take one key, a prefix, any {@code [key, range_end)} or "from
 * key on"; a range may read at a past revision; puts may keep the value or lease.
 *
 * <p>Limits, as etcd's and as HTTP's: a transaction's compares, success ops and failure ops are each at
 * most {@code maxTxnOps}, and a nested transaction gets what its parent left (etcd's rule: its largest
 * list at most {@code maxTxnOps} minus the parent's largest). Rafty also counts every nested op in the
 * branch that holds it, so that a branch has at most {@code maxTxnOps} ops in all, however nested, and
 * transactions nest at most {@link Txn#MAX_NESTING_DEPTH} deep.
 */
final class EtcdTxns {

    /** etcd's Compare.CompareTarget.LEASE, newer than the protos in jetcd-grpc 0.8.6. */
    static final int LEASE_TARGET = 4;
    /** The field of Compare that holds the lease of a LEASE compare (target_union's {@code lease}). */
    static final int LEASE_FIELD = 8;

    /** The limits a transaction is checked against (as HTTP: maxTxnOps, maxKeyBytes, maxValueBytes). */
    record Limits(int maxTxnOps, int maxKeyBytes, int maxValueBytes, int maxListLimit) {
    }

    private EtcdTxns() {
    }

    static Txn parse(TxnRequest request, Limits limits) {
        checkCounts(request, limits.maxTxnOps(), 1);
        if (weight(request.getSuccessList()) > limits.maxTxnOps() || weight(request.getFailureList()) > limits.maxTxnOps()) {
            throw EtcdErrors.TOO_MANY_OPS;
        }
        Txn txn = txn(request, limits);
        if (txn.problem() != null) {
            throw EtcdErrors.DUPLICATE_KEY;
        }
        if (!txn.readOnly() && CommandCodec.encode(new Command.Transaction(txn)).length > limits.maxValueBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return txn;
    }

    /** etcd's rule: the largest of the three lists within {@code budget}, a nested one within what is left. */
    private static void checkCounts(TxnRequest request, int budget, int depth) {
        if (depth > Txn.MAX_NESTING_DEPTH) {
            throw EtcdErrors.unsupported("transactions nest at most " + Txn.MAX_NESTING_DEPTH + " deep");
        }
        int largest = Math.max(request.getCompareCount(), Math.max(request.getSuccessCount(), request.getFailureCount()));
        if (largest > budget) {
            throw EtcdErrors.TOO_MANY_OPS;
        }
        for (List<RequestOp> ops : List.of(request.getSuccessList(), request.getFailureList())) {
            for (RequestOp op : ops) {
                if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_TXN) {
                    checkCounts(op.getRequestTxn(), budget - largest, depth + 1);
                }
            }
        }
    }

    /** The ops of a branch, each nested transaction counted with its compares and both its branches' ops. */
    private static long weight(List<RequestOp> ops) {
        long weight = ops.size();
        for (RequestOp op : ops) {
            if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_TXN) {
                TxnRequest nested = op.getRequestTxn();
                weight += nested.getCompareCount() + weight(nested.getSuccessList()) + weight(nested.getFailureList());
            }
        }
        return weight;
    }

    private static Txn txn(TxnRequest request, Limits limits) {
        List<Txn.Compare> compares = new ArrayList<>();
        for (Compare compare : request.getCompareList()) {
            compares.add(compare(compare, limits));
        }
        return new Txn(compares, ops(request.getSuccessList(), limits), ops(request.getFailureList(), limits));
    }

    private static Txn.Compare compare(Compare compare, Limits limits) {
        KeyRange range = KeyRange.of(compare.getKey(), compare.getRangeEnd());
        byte[] key = key(range.start(), limits);
        Txn.Operator operator = switch (compare.getResultValue()) {
            case Compare.CompareResult.EQUAL_VALUE -> Txn.Operator.EQUAL;
            case Compare.CompareResult.NOT_EQUAL_VALUE -> Txn.Operator.NOT_EQUAL;
            case Compare.CompareResult.GREATER_VALUE -> Txn.Operator.GREATER;
            case Compare.CompareResult.LESS_VALUE -> Txn.Operator.LESS;
            default -> throw EtcdErrors.unsupported("unknown compare result " + compare.getResultValue());
        };
        Txn.Compare parsed = switch (compare.getTargetValue()) {
            case Compare.CompareTarget.VALUE_VALUE -> Txn.Compare.value(key, operator,
                    compare.getValue().toByteArray());
            case Compare.CompareTarget.VERSION_VALUE -> Txn.Compare.number(key, Txn.Target.VERSION, operator,
                    compare.getVersion());
            case Compare.CompareTarget.CREATE_VALUE -> Txn.Compare.number(key, Txn.Target.CREATE_REVISION, operator,
                    compare.getCreateRevision());
            case Compare.CompareTarget.MOD_VALUE -> Txn.Compare.number(key, Txn.Target.REVISION, operator,
                    compare.getModRevision());
            case LEASE_TARGET -> Txn.Compare.number(key, Txn.Target.LEASE, operator, lease(compare.getUnknownFields()));
            default -> throw EtcdErrors.unsupported("unknown compare target " + compare.getTargetValue());
        };
        return range.single() ? parsed : parsed.overRange(key(range.end(), limits));
    }

    /** The lease of a LEASE compare, which this proto version keeps among the unknown fields (0 when unset). */
    private static long lease(UnknownFieldSet unknown) {
        UnknownFieldSet.Field field = unknown.getField(LEASE_FIELD);
        return field.getVarintList().isEmpty() ? 0 : field.getVarintList().get(field.getVarintList().size() - 1);
    }

    private static List<Txn.Op> ops(List<RequestOp> requests, Limits limits) {
        List<Txn.Op> ops = new ArrayList<>(requests.size());
        for (RequestOp op : requests) {
            ops.add(switch (op.getRequestCase()) {
                case REQUEST_RANGE -> range(op.getRequestRange(), limits);
                case REQUEST_PUT -> put(op.getRequestPut(), limits);
                case REQUEST_DELETE_RANGE -> new Txn.Delete(selector(KeyRange.of(op.getRequestDeleteRange().getKey(),
                        op.getRequestDeleteRange().getRangeEnd()), limits));
                case REQUEST_TXN -> new Txn.Nested(txn(op.getRequestTxn(), limits));
                // etcd answers an op that names no request so.
                case REQUEST_NOT_SET -> throw EtcdErrors.KEY_NOT_FOUND;
            });
        }
        return ops;
    }

    private static Txn.Op range(RangeRequest range, Limits limits) {
        if (range.getRevision() < 0) {
            // etcd: below the first revision it keeps.
            throw EtcdErrors.COMPACTED;
        }
        KeySelector keys = selector(KeyRange.of(range.getKey(), range.getRangeEnd()), limits);
        long limit = range.getLimit() > 0 ? Math.min(range.getLimit(), limits.maxListLimit()) : limits.maxListLimit();
        return new Txn.Get(keys, keys.many() ? (int) limit : 1, range.getRevision());
    }

    private static Txn.Op put(PutRequest put, Limits limits) {
        if (put.getKey().isEmpty()) {
            throw EtcdErrors.EMPTY_KEY;
        }
        if (put.getIgnoreValue() && !put.getValue().isEmpty()) {
            throw EtcdErrors.VALUE_PROVIDED;
        }
        if (put.getIgnoreLease() && put.getLease() != 0) {
            throw EtcdErrors.LEASE_PROVIDED;
        }
        if (put.getValue().size() > limits.maxValueBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return new Txn.Put(key(put.getKey().toByteArray(), limits), put.getValue().toByteArray(), put.getLease(),
                put.getIgnoreValue(), put.getIgnoreLease());
    }

    /** The range as a selector: one key, a prefix when it is one (its range_end is the prefix's end), else a range. */
    static KeySelector selector(KeyRange range, Limits limits) {
        key(range.start(), limits);
        if (!range.single()) {
            key(range.end(), limits);
        }
        return range.selector();
    }

    static byte[] key(byte[] key, Limits limits) {
        if (key.length > limits.maxKeyBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return key;
    }
}
