package io.rafty.api;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.Txn;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.Membership;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /v1/raft/log?limit=N}: the last N entries of this node's own Raft log, newest first, each as
 * index, term, type and — for a command — what it does and to which key (never the value). For the dashboard
 * and for an operator's curiosity; it reads this node's log, committed or not, without a read barrier.
 *
 * <p>The entries come from the in-memory log on the Raft context (references, no copy); decoding their
 * payloads (which copies keys and values) runs on a worker, so neither event loop does work that grows with
 * the values' size. N is at most {@code maxLogListLimit}.
 */
final class LogRoute {

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final int maxLimit;

    LogRoute(Vertx vertx, RaftVerticle raft, int maxLimit) {
        this.vertx = vertx;
        this.raft = raft;
        this.maxLimit = maxLimit;
    }

    void recent(RoutingContext ctx) {
        int limit = RequestParams.limit(ctx, maxLimit);
        NodeStatus status = raft.status();
        raft.recentEntries(limit)
                .compose(entries -> vertx.executeBlocking(() -> render(entries), false))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        ctx.fail(ar.cause());
                        return;
                    }
                    ApiVerticle.json(ctx, 200, new JsonObject()
                            .put("id", status.id())
                            .put("firstIndex", status.firstLogIndex())
                            .put("lastIndex", status.lastLogIndex())
                            .put("commitIndex", status.commitIndex())
                            .put("appliedIndex", status.appliedIndex())
                            .put("snapshotIndex", status.snapshotIndex())
                            .put("entries", ar.result()));
                });
    }

    private static JsonArray render(List<Entry> entries) {
        JsonArray rendered = new JsonArray();
        for (Entry entry : entries) {
            JsonObject item = new JsonObject().put("index", entry.index()).put("term", entry.term())
                    .put("type", entry.type().name().toLowerCase(Locale.ROOT)).put("bytes", entry.payload().length);
            if (entry.type() == EntryType.COMMAND) {
                describeCommand(entry.payload(), item);
            } else if (entry.type() == EntryType.CONFIGURATION) {
                describeMembership(entry.payload(), item);
            }
            rendered.add(item);
        }
        return rendered;
    }

    private static void describeCommand(byte[] payload, JsonObject item) {
        Command command;
        try {
            command = CommandCodec.decode(payload);
        } catch (IllegalArgumentException e) {
            item.put("command", "unreadable");
            return;
        }
        if (command instanceof Command.Idempotent idempotent) {
            item.put("idempotent", true);
            command = idempotent.write();
        }
        item.put("command", command.kind().name().toLowerCase(Locale.ROOT));
        if (command instanceof Command.KeyCommand keyed) {
            item.put("key", KeyCodec.display(keyed.key()));
        } else if (command instanceof Command.Transaction transaction) {
            Txn txn = transaction.txn();
            item.put("ops", txn.success().size() + txn.failure().size()).put("compares", txn.compares().size());
        } else if (command instanceof Command.Compact compact) {
            item.put("revision", compact.revision());
        } else if (command instanceof Command.LeaseGrant grant) {
            item.put("lease", grant.id());
        } else if (command instanceof Command.LeaseRevoke revoke) {
            item.put("lease", revoke.id());
        }
    }

    private static void describeMembership(byte[] payload, JsonObject item) {
        try {
            Membership membership = Membership.decode(payload);
            item.put("voters", new JsonArray(List.copyOf(new java.util.TreeSet<>(membership.voters()))))
                    .put("learners", new JsonArray(List.copyOf(new java.util.TreeSet<>(membership.learners()))));
        } catch (IllegalArgumentException e) {
            item.put("membership", "unreadable");
        }
    }
}
