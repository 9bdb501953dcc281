package io.rafty.jmh;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.Ready;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.Role;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.VoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The pure Raft core's hot path, without I/O: what one event loop could sustain if the network and
 * the disk were free. A fresh three-voter cluster state is built per iteration because the core keeps
 * the whole log in memory until snapshots land.
 *
 * <ul>
 *   <li>{@link #leaderRound}: the leader takes {@code batch} proposals, emits a Ready (entries to
 *       persist, AppendEntries to two followers), then steps both followers' AppendResponses and emits
 *       the Ready that commits the batch. Score = proposals per second.</li>
 *   <li>{@link #followerAppend}: a follower steps one AppendEntries of {@code batch} entries and
 *       emits the Ready with the entries and its acknowledgement. Score = entries per second.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RaftNodeBenchmark {

    private static final Membership THREE = Membership.ofVoters(Set.of(1, 2, 3));
    static final int BATCH = 64;

    @Param({"256"})
    int valueBytes;

    private RaftNode leader;
    private RaftNode follower;
    private List<byte[]> payloads;
    private long followerTerm;

    @Setup(Level.Iteration)
    public void setUp() {
        RaftConfig config = RaftConfig.builder(1).uncommittedBytesMax(1L << 40).preVote(false)
                .checkQuorum(false).build();
        leader = new RaftNode(config, RecoveredState.fresh(THREE), new SplittableRandom(1));
        leader.campaign();
        drain(leader);
        leader.step(new VoteResponse(2, 1, leader.term(), true, false));
        if (leader.role() != Role.LEADER) {
            throw new IllegalStateException("setup: node 1 did not become leader");
        }
        // Ack the no-op so both followers are in REPLICATE state with the window open.
        long last = leader.lastIndex();
        drain(leader);
        leader.step(new AppendResponse(2, 1, leader.term(), true, last, 0, 0));
        leader.step(new AppendResponse(3, 1, leader.term(), true, last, 0, 0));
        drain(leader);

        follower = new RaftNode(RaftConfig.defaults(2), RecoveredState.fresh(THREE), new SplittableRandom(2));
        followerTerm = 1;
        follower.step(new AppendEntries(1, 2, followerTerm, 0, 0, List.of(Entry.noop(followerTerm, 1)), 0));
        drain(follower);

        payloads = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < BATCH; i++) {
            byte[] payload = new byte[valueBytes + 24];
            random.nextBytes(payload);
            payloads.add(payload);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void leaderRound(Blackhole bh) {
        for (byte[] payload : payloads) {
            leader.propose(payload);
        }
        Ready append = leader.ready();
        bh.consume(append.messages());
        leader.advance(append);
        long last = leader.lastIndex();
        long term = leader.term();
        leader.step(new AppendResponse(2, 1, term, true, last, 0, 0));
        leader.step(new AppendResponse(3, 1, term, true, last, 0, 0));
        Ready commit = leader.ready();
        bh.consume(commit.committedEntries());
        leader.advance(commit);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void followerAppend(Blackhole bh) {
        long prev = follower.lastIndex();
        List<Entry> entries = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            entries.add(Entry.command(followerTerm, prev + 1 + i, payloads.get(i)));
        }
        follower.step(new AppendEntries(1, 2, followerTerm, prev, followerTerm, entries, prev));
        Ready ready = follower.ready();
        bh.consume(ready.messagesAfterPersist());
        follower.advance(ready);
    }

    private static void drain(RaftNode node) {
        while (node.hasReady()) {
            Ready ready = node.ready();
            List<Message> ignored = ready.messages();
            node.advance(ready);
        }
    }
}
