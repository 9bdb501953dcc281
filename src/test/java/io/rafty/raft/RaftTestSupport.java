package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Builds single nodes in a chosen state and drains their output, for rule-by-rule tests. */
final class RaftTestSupport {

    static final Membership THREE = Membership.ofVoters(Set.of(1, 2, 3));

    private RaftTestSupport() {
    }

    static RaftNode node(int id, Membership membership, HardState hardState, List<Entry> log) {
        return node(RaftConfig.defaults(id), membership, hardState, log);
    }

    static RaftNode node(RaftConfig config, Membership membership, HardState hardState, List<Entry> log) {
        return new RaftNode(config, new RecoveredState(hardState, membership, log, 0), new Random(config.id()));
    }

    /** Makes node 1 of three the leader of {@code term} over the given log, with pre-vote off for directness. */
    static RaftNode leaderOf(long term, List<Entry> log, Set<DeliberateBug> bugs) {
        RaftConfig config = RaftConfig.builder(1).inflightMessagesMax(4).uncommittedBytesMax(1 << 26)
                .preVote(false).deliberateBugs(bugs).build();
        RaftNode node = node(config, THREE, new HardState(term - 1, 0, 0), log);
        for (int i = 0; i < 25 && node.role() != Role.CANDIDATE; i++) {
            node.tick();
        }
        drain(node);
        node.step(new io.rafty.raft.message.VoteResponse(2, 1, term, true, false));
        if (node.role() != Role.LEADER) {
            throw new AssertionError("setup: node 1 did not become leader");
        }
        drain(node);
        return node;
    }

    static RaftNode fresh(int id) {
        return node(id, THREE, HardState.INITIAL, List.of());
    }

    /** A log whose entry i (1-based) has term terms[i-1]. */
    static List<Entry> logOfTerms(long... terms) {
        List<Entry> log = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            log.add(Entry.command(terms[i], i + 1, new byte[] {(byte) i}));
        }
        return log;
    }

    /** Every message the node wants sent now, carrying out the Ready as an instant, durable host would. */
    static List<Message> drain(RaftNode node) {
        List<Message> out = new ArrayList<>();
        while (node.hasReady()) {
            Ready ready = node.ready();
            out.addAll(ready.messages());
            out.addAll(ready.messagesAfterPersist());
            node.advance(ready);
        }
        return out;
    }

    /** Ticks until the node has something to say, at most {@code max} ticks. */
    static List<Message> tickUntilMessages(RaftNode node, int max) {
        for (int i = 0; i < max; i++) {
            node.tick();
            List<Message> out = drain(node);
            if (!out.isEmpty()) {
                return out;
            }
        }
        throw new AssertionError("no message after " + max + " ticks");
    }

    @SuppressWarnings("unchecked")
    static <T extends Message> List<T> ofType(List<Message> messages, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Message m : messages) {
            if (type.isInstance(m)) {
                out.add((T) m);
            }
        }
        return out;
    }
}
