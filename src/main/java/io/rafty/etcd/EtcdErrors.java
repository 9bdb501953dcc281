package io.rafty.etcd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.node.RequestFailure;

/**
 * etcd's gRPC errors, with the codes and the exact message strings of etcd's server (its
 * {@code api/v3rpc/rpctypes} package): clients such as etcdctl, jetcd and the Go client recognise an
 * error by its text, so these strings are part of the contract and must not be reworded. Errors that
 * etcd does not have (a feature Rafty lacks) are {@code INVALID_ARGUMENT} or {@code UNIMPLEMENTED}
 * with a message that starts with {@code "rafty: "}, so nobody mistakes them for etcd's.
 *
 * <p>For the services: fail a call with {@code observer.onError(EtcdErrors.X)}, or map what the node
 * said with {@link #of(Throwable)}.
 */
public final class EtcdErrors {

    public static final StatusRuntimeException EMPTY_KEY = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: key is not provided");
    public static final StatusRuntimeException KEY_NOT_FOUND = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: key not found");
    public static final StatusRuntimeException VALUE_PROVIDED = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: value is provided");
    public static final StatusRuntimeException LEASE_PROVIDED = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: lease is provided");
    public static final StatusRuntimeException TTL_ZERO = error(Status.Code.INVALID_ARGUMENT, "etcdserver: ttl is 0");
    public static final StatusRuntimeException TOO_MANY_OPS = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: too many operations in txn request");
    public static final StatusRuntimeException DUPLICATE_KEY = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: duplicate key given in txn request");
    public static final StatusRuntimeException COMPACTED = error(Status.Code.OUT_OF_RANGE,
            "etcdserver: mvcc: required revision has been compacted");
    public static final StatusRuntimeException FUTURE_REV = error(Status.Code.OUT_OF_RANGE,
            "etcdserver: mvcc: required revision is a future revision");
    public static final StatusRuntimeException LEASE_NOT_FOUND = error(Status.Code.NOT_FOUND,
            "etcdserver: requested lease not found");
    public static final StatusRuntimeException LEASE_EXIST = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: lease already exists");
    public static final StatusRuntimeException LEASE_TTL_TOO_LARGE = error(Status.Code.OUT_OF_RANGE,
            "etcdserver: too large lease TTL");
    public static final StatusRuntimeException MEMBER_NOT_FOUND = error(Status.Code.NOT_FOUND,
            "etcdserver: member not found");
    public static final StatusRuntimeException MEMBER_EXIST = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: member ID already exist");
    public static final StatusRuntimeException PEER_URL_EXIST = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: Peer URLs already exists");
    public static final StatusRuntimeException MEMBER_NOT_ENOUGH_STARTED = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: re-configuration failed due to not enough started members");
    public static final StatusRuntimeException MEMBER_BAD_URLS = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: given member URLs are invalid");
    public static final StatusRuntimeException MEMBER_NOT_LEARNER = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: can only promote a learner member");
    public static final StatusRuntimeException LEARNER_NOT_READY = error(Status.Code.FAILED_PRECONDITION,
            "etcdserver: can only promote a learner member which is in sync with leader");
    public static final StatusRuntimeException REQUEST_TOO_LARGE = error(Status.Code.INVALID_ARGUMENT,
            "etcdserver: request is too large");
    public static final StatusRuntimeException TOO_MANY_REQUESTS = error(Status.Code.RESOURCE_EXHAUSTED,
            "etcdserver: too many requests");
    public static final StatusRuntimeException NO_LEADER = error(Status.Code.UNAVAILABLE, "etcdserver: no leader");
    public static final StatusRuntimeException LEADER_CHANGED = error(Status.Code.UNAVAILABLE,
            "etcdserver: leader changed");
    public static final StatusRuntimeException STOPPED = error(Status.Code.UNAVAILABLE, "etcdserver: server stopped");
    public static final StatusRuntimeException TIMEOUT = error(Status.Code.UNAVAILABLE,
            "etcdserver: request timed out");
    public static final StatusRuntimeException UNHEALTHY = error(Status.Code.UNAVAILABLE,
            "etcdserver: unhealthy cluster");
    public static final StatusRuntimeException PERMISSION_DENIED = error(Status.Code.PERMISSION_DENIED,
            "etcdserver: permission denied");

    private EtcdErrors() {
    }

    /** An error of Rafty's own (no etcd equivalent): INVALID_ARGUMENT, the message prefixed "rafty: ". */
    public static StatusRuntimeException unsupported(String what) {
        return error(Status.Code.INVALID_ARGUMENT, "rafty: " + what);
    }

    /**
     * A request Rafty refuses in the state the cluster is in, where etcd has no such error (a membership
     * change still in progress when the request timed out, say): FAILED_PRECONDITION, prefixed "rafty: ".
     */
    public static StatusRuntimeException refused(String why) {
        return error(Status.Code.FAILED_PRECONDITION, "rafty: " + why);
    }

    /** A whole RPC Rafty does not serve: UNIMPLEMENTED, the message prefixed "rafty: ". */
    public static StatusRuntimeException unimplemented(String what) {
        return error(Status.Code.UNIMPLEMENTED, "rafty: " + what);
    }

    /**
     * What a failed node future means for an etcd client: a {@link RequestFailure} by its kind (nothing
     * applied: "no leader" or "too many requests"; outcome unknown: "request timed out", as etcd says
     * when a proposal's fate is unknown; fenced: "server stopped"), a {@link RevisionUnavailableException}
     * as compacted or future revision; anything else is an INTERNAL error (the caller logs it).
     */
    public static StatusRuntimeException of(Throwable failure) {
        if (failure instanceof StatusRuntimeException status) {
            return status;
        }
        if (failure instanceof RequestFailure request) {
            return switch (request.kind()) {
                case NO_LEADER -> NO_LEADER;
                case OVERLOADED -> TOO_MANY_REQUESTS;
                case OUTCOME_UNKNOWN -> TIMEOUT;
                case UNAVAILABLE -> STOPPED;
            };
        }
        if (failure instanceof RevisionUnavailableException unavailable) {
            return unavailable.reason() == RevisionUnavailableException.Reason.COMPACTED ? COMPACTED : FUTURE_REV;
        }
        return error(Status.Code.INTERNAL, "rafty: internal error");
    }

    /** True when {@code error} is one of Rafty's own INTERNAL errors, i.e. a bug worth a log line. */
    static boolean isInternal(StatusRuntimeException error) {
        return error.getStatus().getCode() == Status.Code.INTERNAL;
    }

    private static StatusRuntimeException error(Status.Code code, String message) {
        // Shared by every call that fails so: only the status travels to the client, never the stack trace.
        return Status.fromCode(code).withDescription(message).asRuntimeException();
    }
}
