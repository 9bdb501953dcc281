package io.rafty.etcd;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import io.rafty.kv.Command;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.Precondition;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.kv.Txn;
import io.rafty.kv.TxnRunner;
import io.rafty.node.RequestFailure;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * etcd's KV service on Rafty's commands: Put is {@link Command.Put}, DeleteRange a {@link Command.Delete}
 * or a one-op {@link Command.Transaction} for a prefix or a range, Txn a {@link Command.Transaction} (a read-only one
 * is a linearizable read with no log entry, as over HTTP), Compact {@link Command.Compact}; Range reads the
 * history at one revision on a worker ({@link RangeReads}), after a read barrier unless serializable.
 */
final class EtcdKvService extends KVGrpc.KVImplBase {

    private final EtcdNode node;
    private final EtcdHeaders headers;
    private final EtcdTxns.Limits limits;

    EtcdKvService(EtcdNode node) {
        this.node = node;
        this.headers = node.headers();
        this.limits = new EtcdTxns.Limits(node.config().maxTxnOps(), node.config().maxKeyBytes(),
                node.config().maxValueBytes(), node.config().maxListLimit());
    }

    // ----- Range ------------------------------------------------------------------------------

    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> observer) {
        Calls.unary("Range", observer, () -> {
            EtcdAuth.requireRead(EtcdAuth.grant(), EtcdAuth.keys(request.getKey().toByteArray(),
                    request.getRangeEnd().toByteArray()));
            RangeReads.Query query = RangeReads.Query.of(request);
            if (request.getRevision() < 0) {
                throw EtcdErrors.FUTURE_REV;
            }
            return afterBarrier(request.getSerializable()).compose(ignored -> node.vertx().executeBlocking(
                    () -> RangeReads.read(node.stateMachine(), query, node.config().etcdMaxMessageBytes()), false))
                    .map(result -> rangeResponse(headers.at(result.revision()), result, query.keysOnly()));
        });
    }

    private static RangeResponse rangeResponse(ResponseHeader header, RangeReads.Result result, boolean keysOnly) {
        RangeResponse.Builder response = RangeResponse.newBuilder().setHeader(header)
                .setCount(result.count()).setMore(result.more());
        for (KvEntry entry : result.entries()) {
            response.addKvs(EtcdKv.of(entry, keysOnly));
        }
        return response.build();
    }

    /**
     * Completes once a read may observe linearizable state: at once for a serializable read (unless the
     * node fenced itself: its state no longer moves), else after a ReadIndex round.
     */
    Future<Long> afterBarrier(boolean serializable) {
        if (serializable) {
            if (node.raft().status().fenced()) {
                return Future.failedFuture(new RequestFailure(RequestFailure.Kind.UNAVAILABLE,
                        "storage failed on this node", 0));
            }
            return Future.succeededFuture(0L);
        }
        return node.raft().readBarrier();
    }

    // ----- Put --------------------------------------------------------------------------------

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> observer) {
        Calls.unary("Put", observer, () -> {
            if (request.getKey().isEmpty()) {
                throw EtcdErrors.EMPTY_KEY;
            }
            byte[] key = EtcdTxns.key(request.getKey().toByteArray(), limits);
            EtcdAuth.Grant grant = EtcdAuth.grant();
            EtcdAuth.requireWrite(grant, io.rafty.kv.KeySelector.key(key));
            if (request.getPrevKv() || request.getIgnoreValue()) {
                // prev_kv answers the old value; ignore_value writes it again: both read it.
                EtcdAuth.requireRead(grant, io.rafty.kv.KeySelector.key(key));
            }
            if (request.getValue().size() > limits.maxValueBytes()) {
                throw EtcdErrors.REQUEST_TOO_LARGE;
            }
            if (request.getIgnoreValue() && !request.getValue().isEmpty()) {
                throw EtcdErrors.VALUE_PROVIDED;
            }
            if (request.getIgnoreLease() && request.getLease() != 0) {
                throw EtcdErrors.LEASE_PROVIDED;
            }
            if (!request.getIgnoreValue() && !request.getIgnoreLease()) {
                return node.raft().propose(new Command.Put(key, request.getValue().toByteArray(), Precondition.NONE,
                        request.getLease())).map(result -> putResponse(request, result));
            }
            return putKeeping(request, key);
        });
    }

    /**
     * A put that keeps the current value or lease: a one-op transaction, so the state machine reads the key
     * and writes it at one revision (no race with other writes), refusing it when the key is missing.
     */
    private Future<PutResponse> putKeeping(PutRequest request, byte[] key) {
        Txn.Put put = new Txn.Put(key, request.getValue().toByteArray(), request.getLease(), request.getIgnoreValue(),
                request.getIgnoreLease());
        return node.raft().propose(new Command.Transaction(new Txn(List.of(), List.of(put), List.of())))
                .map(result -> {
                    if (result instanceof KvResult.TxnKeyNotFound) {
                        throw EtcdErrors.KEY_NOT_FOUND;
                    }
                    if (result instanceof KvResult.TxnDone done) {
                        TxnRunner.OpResult.Put written = (TxnRunner.OpResult.Put) done.outcome().results().get(0);
                        return putResponse(request, new KvResult.Written(done.index(), written.entry(), written.prev()));
                    }
                    return putResponse(request, result);
                });
    }

    private PutResponse putResponse(PutRequest request, KvResult result) {
        if (result instanceof KvResult.LeaseNotFound) {
            throw EtcdErrors.LEASE_NOT_FOUND;
        }
        if (!(result instanceof KvResult.Written written)) {
            throw new IllegalStateException("a put was answered with " + result);
        }
        PutResponse.Builder response = PutResponse.newBuilder().setHeader(headers.at(written.index()));
        if (request.getPrevKv() && written.prev() != null) {
            response.setPrevKv(EtcdKv.of(written.prev()));
        }
        return response.build();
    }

    // ----- DeleteRange ------------------------------------------------------------------------

    @Override
    public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> observer) {
        Calls.unary("DeleteRange", observer, () -> {
            KeySelector keys = EtcdTxns.selector(KeyRange.of(request.getKey(), request.getRangeEnd()), limits);
            EtcdAuth.Grant grant = EtcdAuth.grant();
            KeySelector checked = EtcdAuth.keys(request.getKey().toByteArray(), request.getRangeEnd().toByteArray());
            EtcdAuth.requireWrite(grant, checked);
            if (request.getPrevKv()) {
                EtcdAuth.requireRead(grant, checked);
            }
            // Many keys are deleted by a one-op transaction: all at one revision, an event per key.
            Command command = keys.many()
                    ? new Command.Transaction(new Txn(List.of(), List.of(new Txn.Delete(keys)), List.of()))
                    : new Command.Delete(keys.bytes(), Precondition.NONE);
            return node.raft().propose(command).map(result -> {
                List<KvEntry> deleted;
                if (result instanceof KvResult.Deleted one) {
                    deleted = List.of(one.prev());
                } else if (result instanceof KvResult.NotFound) {
                    deleted = List.of();
                } else if (result instanceof KvResult.TxnDone done) {
                    deleted = ((TxnRunner.OpResult.Delete) done.outcome().results().get(0)).deleted();
                } else {
                    throw new IllegalStateException("a delete was answered with " + result);
                }
                return deleteResponse(headers.at(result.index()), deleted, request.getPrevKv());
            });
        });
    }

    private static DeleteRangeResponse deleteResponse(ResponseHeader header, List<KvEntry> deleted, boolean prevKv) {
        DeleteRangeResponse.Builder response = DeleteRangeResponse.newBuilder().setHeader(header)
                .setDeleted(deleted.size());
        if (prevKv) {
            for (KvEntry entry : deleted) {
                response.addPrevKvs(EtcdKv.of(entry));
            }
        }
        return response.build();
    }

    // ----- Txn --------------------------------------------------------------------------------

    @Override
    public void txn(TxnRequest request, StreamObserver<TxnResponse> observer) {
        Calls.unary("Txn", observer, () -> {
            Txn txn = EtcdTxns.parse(request, limits);
            EtcdAuth.Grant grant = EtcdAuth.grant();
            EtcdAuth.requireTxn(grant, txn);
            requirePrevReads(grant, request);
            Future<KvResult> done = txn.readOnly()
                    ? node.raft().readBarrier().compose(ignored -> node.vertx().executeBlocking(
                            () -> node.stateMachine().readTransaction(txn), false))
                    : node.raft().propose(new Command.Transaction(txn));
            return done.map(result -> txnResponse(request, result));
        });
    }

    /** Read on the keys of every op of {@code request} (nested ones too) that answers previous values. */
    private static void requirePrevReads(EtcdAuth.Grant grant, TxnRequest request) {
        for (java.util.List<io.etcd.jetcd.api.RequestOp> ops : java.util.List.of(request.getSuccessList(),
                request.getFailureList())) {
            for (io.etcd.jetcd.api.RequestOp op : ops) {
                if (op.hasRequestPut() && (op.getRequestPut().getPrevKv() || op.getRequestPut().getIgnoreValue())) {
                    EtcdAuth.requireRead(grant, KeySelector.key(op.getRequestPut().getKey().toByteArray()));
                } else if (op.hasRequestDeleteRange() && op.getRequestDeleteRange().getPrevKv()) {
                    EtcdAuth.requireRead(grant, EtcdAuth.keys(op.getRequestDeleteRange().getKey().toByteArray(),
                            op.getRequestDeleteRange().getRangeEnd().toByteArray()));
                } else if (op.hasRequestTxn()) {
                    requirePrevReads(grant, op.getRequestTxn());
                }
            }
        }
    }

    private TxnResponse txnResponse(TxnRequest request, KvResult result) {
        if (result instanceof KvResult.LeaseNotFound) {
            throw EtcdErrors.LEASE_NOT_FOUND;
        }
        if (result instanceof KvResult.TxnInvalid) {
            throw EtcdErrors.DUPLICATE_KEY;
        }
        if (result instanceof KvResult.TxnKeyNotFound) {
            throw EtcdErrors.KEY_NOT_FOUND;
        }
        if (result instanceof KvResult.TxnRevisionUnavailable unavailable) {
            throw EtcdErrors.of(unavailable.exception());
        }
        if (!(result instanceof KvResult.TxnDone done)) {
            throw new IllegalStateException("a transaction was answered with " + result);
        }
        return txnResponse(headers.at(done.index()), request, done.outcome().succeeded(), done.outcome().results());
    }

    /** The answer of {@code request} (or of a transaction nested in it), which took one branch with these results. */
    private static TxnResponse txnResponse(ResponseHeader header, TxnRequest request, boolean succeeded,
                                           List<TxnRunner.OpResult> results) {
        List<RequestOp> ops = succeeded ? request.getSuccessList() : request.getFailureList();
        List<ResponseOp> responses = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            RequestOp op = ops.get(i);
            TxnRunner.OpResult opResult = results.get(i);
            if (opResult instanceof TxnRunner.OpResult.Put put) {
                PutResponse.Builder response = PutResponse.newBuilder().setHeader(header);
                if (op.getRequestPut().getPrevKv() && put.prev() != null) {
                    response.setPrevKv(EtcdKv.of(put.prev()));
                }
                responses.add(ResponseOp.newBuilder().setResponsePut(response).build());
            } else if (opResult instanceof TxnRunner.OpResult.Delete delete) {
                responses.add(ResponseOp.newBuilder().setResponseDeleteRange(
                        deleteResponse(header, delete.deleted(), op.getRequestDeleteRange().getPrevKv())).build());
            } else if (opResult instanceof TxnRunner.OpResult.Get get) {
                responses.add(ResponseOp.newBuilder().setResponseRange(
                        txnRange(header, op.getRequestRange(), get)).build());
            } else if (opResult instanceof TxnRunner.OpResult.Txn nested) {
                responses.add(ResponseOp.newBuilder().setResponseTxn(
                        txnResponse(header, op.getRequestTxn(), nested.succeeded(), nested.results())).build());
            }
        }
        return TxnResponse.newBuilder().setHeader(header).setSucceeded(succeeded).addAllResponses(responses).build();
    }

    /**
     * A range inside a transaction: what the transaction read (at most the limit, or maxListLimit keys),
     * filtered and sorted as a Range is. Its count is what was read, so with {@code more} it is a lower bound.
     */
    private static RangeResponse txnRange(ResponseHeader header, RangeRequest request, TxnRunner.OpResult.Get get) {
        RangeReads.Query query = RangeReads.Query.of(request);
        List<KvEntry> entries = new ArrayList<>();
        for (KvEntry entry : get.entries()) {
            if (query.passes(entry)) {
                entries.add(entry);
            }
        }
        if (query.effectiveOrder() != RangeRequest.SortOrder.NONE) {
            var comparator = RangeReads.comparator(query.sortTarget());
            entries.sort(query.effectiveOrder() == RangeRequest.SortOrder.DESCEND ? comparator.reversed() : comparator);
        }
        boolean more = get.more();
        if (query.limit() > 0 && entries.size() > query.limit()) {
            entries = entries.subList(0, (int) query.limit());
            more = true;
        }
        RangeResponse.Builder response = RangeResponse.newBuilder().setHeader(header).setCount(entries.size())
                .setMore(more && !query.countOnly());
        if (!query.countOnly()) {
            for (KvEntry entry : entries) {
                response.addKvs(EtcdKv.of(entry, query.keysOnly()));
            }
        }
        return response.build();
    }

    // ----- Compact ----------------------------------------------------------------------------

    /** Compaction is a replicated command; its records are removed in the background, so physical changes nothing. */
    @Override
    public void compact(CompactionRequest request, StreamObserver<CompactionResponse> observer) {
        Calls.unary("Compact", observer, () -> {
            EtcdAuth.requireRoot(EtcdAuth.grant());
            if (request.getRevision() < 1) {
                throw EtcdErrors.COMPACTED;
            }
            return node.raft().propose(new Command.Compact(request.getRevision())).map(result -> {
                if (result instanceof KvResult.Compacted compacted) {
                    return CompactionResponse.newBuilder().setHeader(headers.at(compacted.index())).build();
                }
                if (result instanceof KvResult.CompactRefused refused) {
                    throw refused.reason() == RevisionUnavailableException.Reason.COMPACTED
                            ? EtcdErrors.COMPACTED : EtcdErrors.FUTURE_REV;
                }
                throw new IllegalStateException("a compaction was answered with " + result);
            });
        });
    }
}
