package io.rafty.api;

import io.rafty.kv.RevisionUnavailableException;
import io.rafty.node.RequestFailure;
import io.vertx.core.json.JsonObject;

/** Maps what the Raft layer knows about a failed request to the HTTP contract (DESIGN §1, §4). */
final class Failures {

    private Failures() {
    }

    static ApiException toApi(RequestFailure failure) {
        return switch (failure.kind()) {
            case NO_LEADER -> new ApiException(503, "no_leader", failure.getMessage(), notApplied(failure));
            case OVERLOADED -> new ApiException(503, "overloaded", failure.getMessage(), notApplied(failure));
            case UNAVAILABLE -> new ApiException(503, "unavailable", failure.getMessage(), notApplied(failure));
            case OUTCOME_UNKNOWN -> new ApiException(504, "outcome_unknown", failure.getMessage());
        };
    }

    /** 410 compacted with the oldest kept revision, or 400 future_revision with the current one. */
    static ApiException toApi(RevisionUnavailableException unavailable) {
        if (unavailable.reason() == RevisionUnavailableException.Reason.COMPACTED) {
            return new ApiException(410, "compacted", unavailable.getMessage(),
                    new JsonObject().put("compactRevision", unavailable.compactRevision()));
        }
        return new ApiException(400, "future_revision", unavailable.getMessage(),
                new JsonObject().put("revision", unavailable.currentRevision()));
    }

    private static JsonObject notApplied(RequestFailure failure) {
        JsonObject extra = new JsonObject().put("applied", false);
        if (failure.leaderId() != 0) {
            extra.put("leaderId", failure.leaderId());
        }
        return extra;
    }
}
