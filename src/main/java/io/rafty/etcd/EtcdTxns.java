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
 * etcd's {@code TxnRequest} as Rafty's {@link Txn}, which runs the same way (compares ANDed, one branch,
 * one revision). What Rafty's transactions cannot express is refused with INVALID_ARGUMENT "rafty: …":
 * a compare over a range (range_end), a nested transaction, a range or delete over a range that is not
 * one key or a prefix, a range at a past revision, and a put with ignore_value / ignore_lease.
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
        if (request.getCompareCount() > limits.maxTxnOps() || request.getSuccessCount() > limits.maxTxnOps()
                || request.getFailureCount() > limits.maxTxnOps()) {
            throw EtcdErrors.TOO_MANY_OPS;
        }
        List<Txn.Compare> compares = new ArrayList<>();
        for (Compare compare : request.getCompareList()) {
            compares.add(compare(compare, limits));
        }
        Txn txn = new Txn(compares, ops(request.getSuccessList(), limits), ops(request.getFailureList(), limits));
        if (txn.problem() != null) {
            throw EtcdErrors.DUPLICATE_KEY;
        }
        if (!txn.readOnly() && CommandCodec.encode(new Command.Transaction(txn)).length > limits.maxValueBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return txn;
    }

    private static Txn.Compare compare(Compare compare, Limits limits) {
        if (!compare.getRangeEnd().isEmpty()) {
            throw EtcdErrors.unsupported("a compare over a range (range_end) is not supported; compare each key");
        }
        if (compare.getKey().isEmpty()) {
            throw EtcdErrors.EMPTY_KEY;
        }
        byte[] key = key(compare.getKey().toByteArray(), limits);
        Txn.Operator operator = switch (compare.getResultValue()) {
            case Compare.CompareResult.EQUAL_VALUE -> Txn.Operator.EQUAL;
            case Compare.CompareResult.NOT_EQUAL_VALUE -> Txn.Operator.NOT_EQUAL;
            case Compare.CompareResult.GREATER_VALUE -> Txn.Operator.GREATER;
            case Compare.CompareResult.LESS_VALUE -> Txn.Operator.LESS;
            default -> throw EtcdErrors.unsupported("unknown compare result " + compare.getResultValue());
        };
        return switch (compare.getTargetValue()) {
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
                case REQUEST_DELETE_RANGE -> delete(op.getRequestDeleteRange());
                case REQUEST_TXN -> throw EtcdErrors.unsupported("nested transactions (request_txn) are not supported");
                case REQUEST_NOT_SET -> throw EtcdErrors.unsupported("a transaction op names no request");
            });
        }
        return ops;
    }

    private static Txn.Op range(RangeRequest range, Limits limits) {
        if (range.getRevision() != 0) {
            throw EtcdErrors.unsupported("a range at a revision inside a transaction is not supported");
        }
        KeySelector keys = selector(KeyRange.of(range.getKey(), range.getRangeEnd()), "a range");
        long limit = range.getLimit() > 0 ? Math.min(range.getLimit(), limits.maxListLimit()) : limits.maxListLimit();
        return new Txn.Get(keys, keys.prefix() ? (int) limit : 1);
    }

    private static Txn.Op put(PutRequest put, Limits limits) {
        if (put.getIgnoreValue() || put.getIgnoreLease()) {
            throw EtcdErrors.unsupported("ignore_value and ignore_lease are not supported inside a transaction");
        }
        if (put.getKey().isEmpty()) {
            throw EtcdErrors.EMPTY_KEY;
        }
        if (put.getValue().size() > limits.maxValueBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return new Txn.Put(key(put.getKey().toByteArray(), limits), put.getValue().toByteArray(), put.getLease());
    }

    private static Txn.Op delete(DeleteRangeRequest delete) {
        return new Txn.Delete(selector(KeyRange.of(delete.getKey(), delete.getRangeEnd()), "a delete"));
    }

    /** The range as a selector, or INVALID_ARGUMENT when it is neither one key nor a prefix. */
    static KeySelector selector(KeyRange range, String what) {
        KeySelector keys = range.selector();
        if (keys == null) {
            throw EtcdErrors.unsupported(what + " must cover one key, a prefix (range_end = the prefix's end) or "
                    + "every key (key and range_end \"\\0\"); other ranges are not supported here");
        }
        return keys;
    }

    static byte[] key(byte[] key, Limits limits) {
        if (key.length > limits.maxKeyBytes()) {
            throw EtcdErrors.REQUEST_TOO_LARGE;
        }
        return key;
    }
}
