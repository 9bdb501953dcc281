package io.rafty.sim;

import io.rafty.node.Reply;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.RaftNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The operator of a simulated cluster, changing who is in it while the fault nemesis runs: through
 * the current leader it adds learners (to be promoted by the leader once caught up, or not),
 * promotes caught-up learners, removes voters (sometimes the leader itself, never the last one) and
 * learners, and hands leadership to another voter. Removed nodes keep running, with their disks,
 * until it retires them; a retired node may be added back later and restarts from its disk.
 *
 * <p>Every choice is drawn from the nemesis generator of the seed, and every set it picks from is
 * sorted, so a seed replays exactly.
 */
final class MembershipNemesis {

    /** What the membership nemesis did: configuration entries appended, transfers started, refusals, retirements. */
    record Counts(int changes, int transfers, int refused, int retired) {
        Counts plus(Counts other) {
            return new Counts(changes + other.changes, transfers + other.transfers, refused + other.refused,
                    retired + other.retired);
        }
    }

    /** A learner is promoted only once its match index is at most this far behind the leader's log. */
    static final long PROMOTE_LAG_ENTRIES_MAX = 3;
    private static final int ADD_WEIGHT = 3;
    private static final int PROMOTE_WEIGHT = 4;
    private static final int REMOVE_VOTER_WEIGHT = 2;
    private static final int REMOVE_LEARNER_WEIGHT = 1;
    private static final int TRANSFER_WEIGHT = 2;

    /**
     * Whether a leader of exactly two voters may remove itself. This once exposed a liveness bug in
     * the core (a removed node never campaigned while its removal was uncommitted, leaving the other
     * voter, which needs its vote, leaderless forever; fixed per dissertation §4.2.2, seed 63). On by
     * default; {@code -Dsim.leaderLeavesTwoVoters=false} leaves that one change out.
     */
    static final boolean LEADER_LEAVES_TWO_VOTERS = Boolean.parseBoolean(
            System.getProperty("sim.leaderLeavesTwoVoters", "true"));

    private final Simulation sim;
    private final SimHost[] hosts;
    private final SplittableRandom random;
    private int changes;
    private int transfers;
    private int refused;
    private int retired;

    MembershipNemesis(Simulation sim, SimHost[] hosts, SplittableRandom random) {
        this.sim = sim;
        this.hosts = hosts;
        this.random = random;
    }

    Counts counts() {
        return new Counts(changes, transfers, refused, retired);
    }

    /**
     * Asks the current leader, through its driver as the admin API does, for one change or transfer.
     * The core may refuse (a change still uncommitted, nothing committed in the leader's term yet, a
     * transfer under way): refusals are counted, not failures.
     */
    void act() {
        int leaderId = sim.currentLeader();
        if (leaderId == 0) {
            return;
        }
        SimHost leader = hosts[leaderId];
        RaftNode node = leader.node;
        Membership current = node.membership();
        Set<Integer> outside = outside(current);
        Set<Integer> caughtUp = caughtUpLearners(node, current);
        Set<Integer> otherVoters = new TreeSet<>(current.voters());
        otherVoters.remove(leaderId);
        // Only the actions that make sense in this configuration are drawn, each with its weight.
        int add = outside.isEmpty() ? 0 : ADD_WEIGHT;
        int promote = caughtUp.isEmpty() ? 0 : PROMOTE_WEIGHT;
        // An operator does not shrink the cluster while a member is being rebuilt after losing its disk:
        // the rebuilt node may be needed for the smaller configuration's quorum.
        int removeVoter = current.voters().size() < 2 || anyAmnesiac() ? 0 : REMOVE_VOTER_WEIGHT;
        int removeLearner = current.learners().isEmpty() ? 0 : REMOVE_LEARNER_WEIGHT;
        int transfer = otherVoters.isEmpty() ? 0 : TRANSFER_WEIGHT;
        int total = add + promote + removeVoter + removeLearner + transfer;
        if (total == 0) {
            return;
        }
        int dice = random.nextInt(total);
        if (dice < add) {
            addLearner(leader, current, pick(outside));
        } else if (dice < add + promote) {
            int id = pick(caughtUp);
            propose(leader, current.promoted(id), "promotes n" + id);
        } else if (dice < add + promote + removeVoter) {
            removeVoter(leader, current);
        } else if (dice < add + promote + removeVoter + removeLearner) {
            int id = pick(current.learners());
            propose(leader, current.without(id), "removes learner n" + id);
        } else {
            int target = pick(otherVoters);
            Answer<Void> answer = new Answer<>(leaderId);
            leader.driver.transferLeadership(target, answer);
            if (!answer.refused) {
                transfers++;
                sim.trace("nemesis membership n" + leaderId + " transfers leadership to n" + target);
            }
        }
    }

    /** Counts a request the driver refused at once; a later outcome (applied, or lost) is not the nemesis's concern. */
    private final class Answer<T> implements Reply<T> {
        private final int leaderId;
        private boolean answered;
        boolean refused;

        Answer(int leaderId) {
            this.leaderId = leaderId;
        }

        @Override
        public void succeed(T value) {
            answered = true;
        }

        @Override
        public void fail(RuntimeException failure) {
            if (!answered) {
                answered = true;
                refused = true;
                MembershipNemesis.this.refused++;
                sim.trace("nemesis membership refused by n" + leaderId + ": " + failure.getMessage());
            }
        }
    }

    private boolean anyAmnesiac() {
        for (int id = 1; id < hosts.length; id++) {
            if (hosts[id].amnesiac()) {
                return true;
            }
        }
        return false;
    }

    private int pick(Set<Integer> ids) {
        List<Integer> list = new ArrayList<>(ids);
        return list.get(random.nextInt(list.size()));
    }

    private void propose(SimHost leader, Membership next, String what) {
        Answer<Membership> answer = new Answer<>(leader.id);
        leader.driver.changeMembership(current -> next, answer, leader.nowNanos());
        if (!answer.refused) {
            changes++;
            sim.trace("nemesis membership n" + leader.id + " " + what + " in term " + leader.node.term() + ": " + next);
        }
    }

    private Set<Integer> outside(Membership current) {
        Set<Integer> outside = new TreeSet<>();
        for (int id = 1; id < hosts.length; id++) {
            if (!current.contains(id)) {
                outside.add(id);
            }
        }
        return outside;
    }

    private static Set<Integer> caughtUpLearners(RaftNode leader, Membership current) {
        Set<Integer> caughtUp = new TreeSet<>();
        for (PeerProgress peer : leader.progress()) {
            if (current.isLearner(peer.id()) && peer.matchIndex() + PROMOTE_LAG_ENTRIES_MAX >= leader.lastIndex()) {
                caughtUp.add(peer.id());
            }
        }
        return caughtUp;
    }

    private void addLearner(SimHost leader, Membership current, int id) {
        boolean promoteWhenCaughtUp = random.nextBoolean();
        propose(leader, current.withLearner(id, "sim://n" + id, promoteWhenCaughtUp), "adds learner n" + id
                + (promoteWhenCaughtUp ? " (promote when caught up)" : ""));
        SimHost host = hosts[id];
        if (host.retired) {
            // A node removed earlier comes back with the disk it had.
            host.retired = false;
            if (!host.up) {
                sim.startHost(host);
            }
        }
    }

    private void removeVoter(SimHost leader, Membership current) {
        boolean itself = random.nextInt(4) == 0 && current.isVoter(leader.id);
        int id = itself ? leader.id : pick(current.voters());
        if (id == leader.id && current.voters().size() == 2 && !LEADER_LEAVES_TWO_VOTERS) {
            sim.trace("nemesis membership skips n" + id + " removing itself from two voters"
                    + " (see LEADER_LEAVES_TWO_VOTERS)");
            return;
        }
        propose(leader, current.without(id), "removes voter n" + id + (id == leader.id ? " (itself)" : ""));
    }

    /**
     * Stops, for good, every running node that is in neither the committed nor the latest
     * configuration of the current leader: an operator retiring a removed server. Until then a
     * removed node keeps running and must not disrupt the cluster.
     */
    void retireRemovedNodes() {
        int leaderId = sim.currentLeader();
        if (leaderId == 0) {
            return;
        }
        RaftNode leader = hosts[leaderId].node;
        Membership committed = leader.membershipAt(leader.commitIndex());
        Membership latest = leader.membership();
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (host.up && !committed.contains(id) && !latest.contains(id)) {
                sim.trace("nemesis retires n" + id + ", not in the configuration " + committed);
                sim.retire(host);
                retired++;
            }
        }
    }
}
