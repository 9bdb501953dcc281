package io.rafty.node;

import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.Membership;
import io.rafty.raft.MembershipChangeException;
import io.rafty.raft.NotLeaderException;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.RaftNode;
import io.rafty.raft.Role;
import io.rafty.raft.SoftState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * The {@link NodeDriver}'s share of cluster reconfiguration: membership changes asked for by an
 * operator, the ones the leader makes by itself (binding members to their storage, replacing a member
 * whose disk was lost, promoting caught-up learners), and leadership transfers. Every request is
 * answered exactly once: when its configuration entry is applied here, or with what is known when it
 * cannot be (see {@link RequestFailure.Kind}).
 *
 * <p>The core allows one change at a time. An operator's change that finds another one in progress
 * (or a leader that has not committed in its term yet) waits for it, within the request timeout,
 * instead of failing at once; the leader's own changes yield to waiting operator changes. Only the
 * driver's thread touches this.
 */
final class Reconfigurations {

    private static final Logger LOG = Logger.getLogger(NodeDriver.class.getName());

    private record PendingChange(long term, Membership next, Reply<Membership> reply, long deadlineNanos) {
    }

    private record WaitingChange(UnaryOperator<Membership> change, Reply<Membership> reply, long deadlineNanos) {
    }

    private final RaftNode node;
    private final int self;
    private final long requestTimeoutNanos;
    private final long learnerPromotionLagEntries;
    /** Changes waiting for their configuration entry to be applied, by log index. */
    private final TreeMap<Long, PendingChange> pending = new TreeMap<>();
    /** Operator changes waiting for the change in progress to finish, in arrival order. */
    private final ArrayDeque<WaitingChange> waiting = new ArrayDeque<>();
    /** Leadership transfers waiting for the target to lead. */
    private final TreeMap<Integer, List<Reply<Void>>> transfers = new TreeMap<>();

    Reconfigurations(RaftNode node, long requestTimeoutNanos, long learnerPromotionLagEntries) {
        this.node = node;
        this.self = node.id();
        this.requestTimeoutNanos = requestTimeoutNanos;
        this.learnerPromotionLagEntries = learnerPromotionLagEntries;
    }

    // ----- requests ---------------------------------------------------------------------------

    /**
     * Proposes the configuration {@code change} computes from the current one (which it may refuse by
     * throwing {@link MembershipChangeException} or {@link IllegalArgumentException}), now or, if
     * another change is in progress, once it is done.
     */
    void change(UnaryOperator<Membership> change, Reply<Membership> reply, long nowNanos) {
        WaitingChange request = new WaitingChange(change, reply, nowNanos + requestTimeoutNanos);
        if (!waiting.isEmpty() || !propose(request, false)) {
            waiting.add(request);
        }
    }

    /** Hands leadership to {@code target}; answered when this node sees it lead. */
    void transfer(int target, Reply<Void> reply) {
        try {
            if (node.role() == Role.LEADER && target == self) {
                reply.succeed(null);
                return;
            }
            node.transferLeadership(target);
            transfers.computeIfAbsent(target, t -> new ArrayList<>()).add(reply);
        } catch (NotLeaderException e) {
            reply.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
        } catch (RuntimeException e) {
            reply.fail(e);
        }
    }

    /**
     * Proposes one change; returns false when an operator's change must wait (another change in
     * progress), true when it was proposed or answered.
     */
    private boolean propose(WaitingChange request, boolean automatic) {
        try {
            Membership current = node.membership();
            Membership next = request.change().apply(current);
            if (next.equals(current)) {
                request.reply().succeed(current);
                return true;
            }
            long index = node.proposeMembership(next);
            pending.put(index, new PendingChange(node.term(), next, request.reply(), request.deadlineNanos()));
        } catch (NotLeaderException e) {
            request.reply().fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
        } catch (MembershipChangeException e) {
            if (e.busy() && !automatic) {
                return false;
            }
            request.reply().fail(e);
        } catch (RuntimeException e) {
            request.reply().fail(e);
        }
        return true;
    }

    // ----- events -----------------------------------------------------------------------------

    /** One tick: expire, retry waiting changes, then let the leader keep the configuration in shape. */
    void tick(long nowNanos) {
        List<PendingChange> expired = new ArrayList<>();
        pending.values().removeIf(change -> {
            if (nowNanos - change.deadlineNanos() > 0) {
                expired.add(change);
                return true;
            }
            return false;
        });
        expired.forEach(change -> change.reply().fail(RequestFailure.outcomeUnknown(
                "the membership change was not applied within the request timeout; it may still commit")));
        if (node.role() == Role.LEADER && !transfers.isEmpty() && !node.isTransferringLeadership()) {
            // The core gave the transfer up (the target did not catch up in an election timeout).
            failTransfers(RequestFailure.outcomeUnknown("the leadership transfer did not complete in time"));
        }
        retryWaiting(nowNanos);
        if (waiting.isEmpty() && !maintainIdentities(nowNanos)) {
            promoteCaughtUpLearners(nowNanos);
        }
    }

    private void retryWaiting(long nowNanos) {
        while (!waiting.isEmpty()) {
            WaitingChange head = waiting.peekFirst();
            if (nowNanos - head.deadlineNanos() > 0) {
                waiting.pollFirst();
                head.reply().fail(new MembershipChangeException("another membership change was still in progress"
                        + " when the request timed out; it was not applied"));
                continue;
            }
            if (!propose(head, false)) {
                return;
            }
            waiting.pollFirst();
        }
    }

    /** The entry at its index is applied here: the change waiting for it is answered. */
    void applied(Entry entry) {
        PendingChange change = pending.remove(entry.index());
        if (change == null) {
            return;
        }
        if (change.term() == entry.term() && entry.type() == EntryType.CONFIGURATION) {
            change.reply().succeed(change.next());
        } else {
            change.reply().fail(RequestFailure.noLeader(
                    "the membership change was discarded by a leader change; it was not applied", 0));
        }
    }

    /**
     * A snapshot installed through {@code index}: the changes waiting on entries it covers were not
     * applied here (entries dropped from the apply queue are answered through {@link #applied} first).
     */
    void covered(long index) {
        Map<Long, PendingChange> covered = pending.headMap(index, true);
        List<PendingChange> answered = new ArrayList<>(covered.values());
        covered.clear();
        answered.forEach(change -> change.reply().fail(RequestFailure.outcomeUnknown("this node installed a"
                + " snapshot covering the change before applying it; whether it took effect is not known here")));
    }

    /** The role, leader or term changed; {@code wasLeader} says whether this node led before. */
    void softStateChanged(SoftState soft, boolean wasLeader) {
        List<Reply<Void>> transferred = transfers.remove(soft.leaderId());
        if (transferred != null) {
            transferred.forEach(r -> r.succeed(null));
        }
        if (soft.role() != Role.LEADER && soft.leaderId() != 0 && !transfers.isEmpty()) {
            failTransfers(RequestFailure.outcomeUnknown("node " + soft.leaderId()
                    + " became leader instead of the transfer target"));
        }
        if (wasLeader && soft.role() != Role.LEADER) {
            // Changes already committed will be applied here as a follower and answered then. For the
            // rest we cannot know: the next leader may still commit them. Waiting ones were never
            // proposed: the API relays them to the new leader.
            Map<Long, PendingChange> uncommitted = pending.tailMap(node.commitIndex(), false);
            List<PendingChange> lost = new ArrayList<>(uncommitted.values());
            uncommitted.clear();
            lost.forEach(change -> change.reply().fail(RequestFailure.outcomeUnknown(
                    "leadership was lost before the membership change was applied; it may still commit")));
            List<WaitingChange> notProposed = new ArrayList<>(waiting);
            waiting.clear();
            notProposed.forEach(change -> change.reply().fail(RequestFailure.noLeader(
                    "leadership was lost before the membership change could be proposed; it was not applied",
                    soft.leaderId())));
        }
    }

    /** Fencing or stopping: every request learns it will not be answered otherwise. */
    void failAll(RequestFailure failure) {
        List<PendingChange> changes = new ArrayList<>(pending.values());
        pending.clear();
        changes.forEach(change -> change.reply().fail(failure));
        List<WaitingChange> notProposed = new ArrayList<>(waiting);
        waiting.clear();
        notProposed.forEach(change -> change.reply().fail(failure));
        failTransfers(failure);
    }

    private void failTransfers(RuntimeException failure) {
        List<Reply<Void>> all = new ArrayList<>();
        transfers.values().forEach(all::addAll);
        transfers.clear();
        all.forEach(r -> r.fail(failure));
    }

    // ----- what the leader changes by itself ---------------------------------------------------

    /**
     * The leader keeps the configuration's storage bindings true, one change at a time (see
     * {@link Membership}): in a configuration that binds nobody yet it binds itself and every member it
     * has heard from, once the voters among them are a quorum; then each member it hears from that is
     * not bound yet; and a member that answers from other storage than the one it is bound to (a
     * replaced disk) it replaces by a learner on the new storage, which
     * {@link #promoteCaughtUpLearners} promotes once it has caught up. Returns whether it proposed a
     * change.
     */
    private boolean maintainIdentities(long nowNanos) {
        Membership membership = node.membership();
        if (!mayReconfigure()) {
            return false;
        }
        if (!membership.bindsStorage()) {
            Membership founding = membership;
            for (int member : membership.all()) {
                long storage = node.peerStorageId(member);
                if (storage != 0) {
                    founding = founding.boundTo(member, storage);
                }
            }
            if (founding.boundVoters().size() < founding.quorum()) {
                return false;
            }
            Membership bound = founding;
            return proposeByItself(current -> current.bindsStorage() ? current : bound,
                    "binds the members it has heard from to their storage: " + bound.storageIds(), nowNanos);
        }
        for (int member : membership.all()) {
            long storage = node.peerStorageId(member);
            long bound = membership.storageOf(member);
            if (storage == 0 || bound == storage) {
                continue;
            }
            if (bound == 0) {
                return proposeByItself(current -> current.contains(member) && current.storageOf(member) == 0
                                ? current.boundTo(member, storage) : current,
                        "binds node " + member + " to storage " + Long.toHexString(storage), nowNanos);
            }
            Membership replaced = membership.rebuilding(member, storage);
            if (membership.whyNotFollowedBy(replaced) != null) {
                // Not with this configuration (too few bound voters would remain): bind the others first.
                continue;
            }
            return proposeByItself(current -> current.storageOf(member) == bound
                            ? current.rebuilding(member, storage) : current,
                    "replaces node " + member + " (its storage " + Long.toHexString(bound) + " was lost) by a learner"
                            + " on storage " + Long.toHexString(storage), nowNanos);
        }
        return false;
    }

    /** The leader promotes a learner added for automatic promotion once its log is close to the leader's. */
    private void promoteCaughtUpLearners(long nowNanos) {
        Membership membership = node.membership();
        if (membership.autoPromote().isEmpty() || !mayReconfigure()) {
            return;
        }
        for (PeerProgress peer : node.progress()) {
            // A learner that never acknowledged anything is not caught up, however short the log; and it is
            // promoted only once bound to the storage it answers from (maintainIdentities binds it first).
            boolean caughtUp = peer.matchIndex() > 0 && peer.replicating()
                    && membership.storageOf(peer.id()) == peer.storageId()
                    && node.lastIndex() - peer.matchIndex() <= learnerPromotionLagEntries;
            if (membership.autoPromote().contains(peer.id()) && caughtUp) {
                proposeByItself(current -> current.isLearner(peer.id()) ? current.promoted(peer.id()) : current,
                        "promotes learner " + peer.id() + " to voter", nowNanos);
                return;
            }
        }
    }

    /** The leader changes nothing by itself while a change is under way or before it committed in its term. */
    private boolean mayReconfigure() {
        return node.role() == Role.LEADER && pending.isEmpty() && node.commitIndex() >= node.lastConfigIndex()
                && node.termAt(node.commitIndex()) == node.term();
    }

    private boolean proposeByItself(UnaryOperator<Membership> change, String what, long nowNanos) {
        LOG.info(() -> "node " + self + " " + what);
        propose(new WaitingChange(change, new Reply<>() {
            @Override
            public void succeed(Membership value) {
            }

            @Override
            public void fail(RuntimeException failure) {
                LOG.fine(() -> "node " + self + " deferred: " + what + ": " + failure.getMessage());
            }
        }, nowNanos + requestTimeoutNanos), true);
        return true;
    }
}
