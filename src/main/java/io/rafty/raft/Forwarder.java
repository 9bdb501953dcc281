package io.rafty.raft;

import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A follower's (or learner's) reads and commands for its leader. They collect here until the next
 * Ready, which sends the reads as one {@link ReadIndexRequest} and the commands as one or more
 * {@link Propose}s cut at about {@code messageBytesMax}; each batch is remembered by a context until
 * the leader answers or the batch is too old to matter.
 *
 * <p>Contexts start at a random point (drawn by the node) so that an answer to a batch sent before a
 * restart cannot be mistaken for one sent after it. Batches unanswered for {@code batchLifetimeTicks}
 * are forgotten: by then the host has timed their requests out, and an answer that still arrives is
 * ignored.
 */
final class Forwarder {

    private record Batch(int leader, boolean reads, List<Long> requestIds, long sentAtTick) {
    }

    private final int self;
    private final int messageBytesMax;
    private final long batchLifetimeTicks;
    private final List<Long> readsToForward = new ArrayList<>();
    private final List<Long> proposalIdsToForward = new ArrayList<>();
    private final List<byte[]> proposalsToForward = new ArrayList<>();
    private final LinkedHashMap<Long, Batch> batches = new LinkedHashMap<>();
    private final List<ForwardedProposal> outcomes = new ArrayList<>();
    private long nextContext;
    private long ticks;

    Forwarder(int self, long firstContext, int messageBytesMax, long batchLifetimeTicks) {
        this.self = self;
        this.nextContext = firstContext;
        this.messageBytesMax = messageBytesMax;
        this.batchLifetimeTicks = batchLifetimeTicks;
    }

    /** One tick passed: forget batches older than their lifetime. */
    void tick() {
        ticks++;
        long oldest = ticks - batchLifetimeTicks;
        Iterator<Batch> sent = batches.values().iterator();
        while (sent.hasNext() && sent.next().sentAtTick() < oldest) {
            sent.remove();
        }
    }

    void addRead(long requestId) {
        readsToForward.add(requestId);
    }

    void addProposal(long requestId, byte[] payload) {
        proposalIdsToForward.add(requestId);
        proposalsToForward.add(payload);
    }

    /** Whether reads or commands wait for the next Ready. */
    boolean hasPending() {
        return !readsToForward.isEmpty() || !proposalsToForward.isEmpty();
    }

    /** Sends what was collected since the last Ready to {@code leader}: one message per kind (commands cut by size). */
    void flush(int leader, long term, List<Message> out) {
        if (!readsToForward.isEmpty()) {
            long context = nextContext++;
            batches.put(context, new Batch(leader, true, List.copyOf(readsToForward), ticks));
            out.add(new ReadIndexRequest(self, leader, term, context));
            readsToForward.clear();
        }
        // Cut like appends, at about messageBytesMax (at least one command each), so that a burst of large
        // values never makes a message the leader's peer endpoint refuses as too large.
        int start = 0;
        while (start < proposalsToForward.size()) {
            int end = start;
            long bytes = 0;
            while (end < proposalsToForward.size()
                    && (end == start || bytes + proposalsToForward.get(end).length <= messageBytesMax)) {
                bytes += proposalsToForward.get(end).length;
                end++;
            }
            long context = nextContext++;
            batches.put(context, new Batch(leader, false, List.copyOf(proposalIdsToForward.subList(start, end)), ticks));
            out.add(new Propose(self, leader, term, context, proposalsToForward.subList(start, end)));
            start = end;
        }
        proposalIdsToForward.clear();
        proposalsToForward.clear();
    }

    /** The leader confirmed a batch of reads at its commit index: each becomes a read state in {@code out}. */
    void onReadIndexResponse(ReadIndexResponse response, List<ReadState> out) {
        Batch batch = batches.get(response.context());
        if (batch == null || !batch.reads() || batch.leader() != response.from()) {
            return;
        }
        batches.remove(response.context());
        for (long requestId : batch.requestIds()) {
            out.add(new ReadState(requestId, response.index()));
        }
    }

    /** The leader appended (or refused) a batch of commands: each gets its outcome. */
    void onProposeResponse(ProposeResponse response) {
        Batch batch = batches.get(response.context());
        if (batch == null || batch.reads() || batch.leader() != response.from()) {
            return;
        }
        batches.remove(response.context());
        List<Long> ids = batch.requestIds();
        for (int i = 0; i < ids.size(); i++) {
            long index = response.firstIndex() == 0 ? 0 : response.firstIndex() + i;
            outcomes.add(new ForwardedProposal(ids.get(i), index, response.term()));
        }
    }

    /** Outcomes of forwarded commands not yet handed to the host (the Ready copies them). */
    List<ForwardedProposal> outcomes() {
        return outcomes;
    }

    void clearOutcomes() {
        outcomes.clear();
    }

    /** Forgets what waits and what was sent (a role change); outcomes already known still go to the host. */
    void reset() {
        readsToForward.clear();
        proposalIdsToForward.clear();
        proposalsToForward.clear();
        batches.clear();
    }
}
