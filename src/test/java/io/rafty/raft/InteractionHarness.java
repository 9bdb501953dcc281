package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Runs the commands of a golden scenario against a set of {@link RaftNode}s joined by a network the
 * scenario drives by hand: nothing happens unless a command says so, so every Ready, every message
 * and every delivery is visible in the file, in order.
 *
 * <p>Each command is one handler in {@link #execute(String)}. Mistakes in the scenario itself (an
 * unknown command or argument, a missing node) throw {@link ScriptError} and fail the test; errors
 * the core reports to its host for an input (proposing on a follower, say) are part of its
 * behaviour and are printed as {@code error: ...}. Anything else the core throws fails the test.
 *
 * <p>Commands (ids are node ids; a command that prints nothing prints {@code ok}):
 * <pre>
 *   add-nodes N [voters=1,2,3] [learners=4] [prevote=true] [checkquorum=true] [election=10..20]
 *             [heartbeat=1] [inflight=256] [msgbytes=1048576] [uncommitted=N] [bugs=ack_before_persist,..]
 *                                  N new nodes numbered after the existing ones, empty disks, Random(id)
 *   campaign ID                    RaftNode.campaign()
 *   tick ID [count]                count ticks (default 1)
 *   tick-election ID               ticks until the role, term or leader changes or a follower starts a
 *                                  new round (at most two maximum election timeouts)
 *   tick-heartbeat ID              heartbeatIntervalTicks ticks
 *   propose ID text...             one propose(List) with one command per text ("quoted" for spaces)
 *   propose-conf ID voters=.. [learners=..]
 *   read-index ID reqId            readIndex(reqId)
 *   forward ID reqId text          forwardProposal(reqId, text)
 *   transfer-leader ID target      transferLeadership(target)
 *   bind ID members                proposes ID's configuration with the members (comma-separated) bound to
 *                                  their current storage ids, in one change
 *   promote ID member              proposes ID's configuration with learner member made a voter
 *   rebuild ID member              proposes ID's configuration with member replaced by a learner on its
 *                                  current storage (Membership.rebuilding), as the host does for a wiped disk
 *   process-ready ID               takes, prints and carries out one Ready, then advances
 *   deliver-msgs ID [from=..] [type=app,hb,..]   steps queued messages to ID, in send order
 *   drop-msgs [from=..] [to=..] [type=..]        removes queued messages
 *   network                        lists queued messages
 *   stabilize [IDs]                process-ready and deliver-msgs on every (listed) node until quiet
 *   isolate ID / heal              messages to or from isolated nodes are dropped on delivery
 *   status ID / raft-log ID / applied ID         role, log, progress / the log / the state machine
 *   compact ID index               host snapshot: compacts the log (the core may compact less)
 *   send-snapshot ID peer          stages ID's state machine at peer and queues the MsgSnap
 *   report-snapshot ID peer [delivered=true] index=N
 *   restart ID [wipe=true]         rebuilds the node from its disk (wipe: from a new, empty disk with a
 *                                  new storage id); queued messages stay queued
 * </pre>
 *
 * <p>Every delivery first shows the receiver the sender's {@link PeerIdentity} as it is at that moment
 * ({@code RaftNode.observe}), as a real host does with the identity every batch carries: an empty
 * node that hears from one holding a log starts rebuilding, a leader notices a follower's new storage
 * id, and a node of another cluster refuses the message (printed).
 */
final class InteractionHarness {

    /** A mistake in the scenario, not a behaviour of the core. */
    static final class ScriptError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ScriptError(String message) {
            super(message);
        }
    }

    static final List<String> COMMANDS = List.of("add-nodes", "campaign", "tick", "tick-election", "tick-heartbeat",
            "propose", "propose-conf", "bind", "promote", "rebuild", "read-index", "forward", "transfer-leader", "process-ready", "deliver-msgs",
            "drop-msgs", "network", "stabilize", "isolate", "heal", "status", "raft-log", "applied", "compact",
            "send-snapshot", "report-snapshot", "restart");

    private static final int STABILIZE_ROUNDS = 1000;

    private final TreeMap<Integer, InteractionHost> hosts = new TreeMap<>();
    /** Messages sent and not yet delivered or dropped, in send order. */
    private final List<Message> network = new ArrayList<>();
    private final TreeSet<Integer> isolated = new TreeSet<>();
    private final InteractionFormat format = new InteractionFormat();

    /** Runs one command line (without the "> ") and returns what it printed; "ok" when nothing. */
    List<String> execute(String line) {
        InteractionArgs args = InteractionArgs.parse(line);
        List<String> out = new ArrayList<>();
        try {
            dispatch(args, out);
        } catch (ScriptError e) {
            throw e;
        } catch (RuntimeException e) {
            // The core (or a host check) failed mid-command: show what the command printed up to
            // there, which usually includes the Ready or message that led to it.
            throw new AssertionError(e + "\n  output so far:\n    " + String.join("\n    ", out), e);
        }
        args.checkAllUsed();
        if (out.isEmpty()) {
            out.add("ok");
        }
        return out;
    }

    private void dispatch(InteractionArgs args, List<String> out) {
        switch (args.command()) {
            case "add-nodes" -> addNodes(args);
            case "campaign" -> attempt(out, () -> node(args.id(0)).campaign());
            case "tick" -> tick(args.id(0), args.has(1) ? args.intAt(1, "tick count") : 1);
            case "tick-election" -> tickElection(args.id(0));
            case "tick-heartbeat" -> tick(args.id(0), host(args.id(0)).config.heartbeatIntervalTicks());
            case "propose" -> propose(args, out);
            case "propose-conf" -> proposeConf(args, out);
            case "bind" -> {
                RaftNode leader = node(args.id(0));
                Membership next = leader.membership();
                for (String member : args.at(1, "members").split(",")) {
                    InteractionHost host = host(Integer.parseInt(member.trim()));
                    next = next.boundTo(host.id, host.storageId);
                }
                Membership bound = next;
                attempt(out, () -> out.add("index=" + leader.proposeMembership(bound)));
            }
            case "promote" -> {
                RaftNode leader = node(args.id(0));
                int member = args.id(1);
                attempt(out, () -> out.add("index=" + leader.proposeMembership(leader.membership().promoted(member))));
            }
            case "rebuild" -> {
                RaftNode leader = node(args.id(0));
                InteractionHost member = host(args.id(1));
                attempt(out, () -> out.add("index=" + leader.proposeMembership(
                        leader.membership().rebuilding(member.id, member.storageId))));
            }
            case "read-index" -> {
                long requestId = args.longAt(1, "request id");
                attempt(out, () -> node(args.id(0)).readIndex(requestId));
            }
            case "forward" -> {
                long requestId = args.longAt(1, "request id");
                byte[] payload = bytes(args.at(2, "command text"));
                attempt(out, () -> node(args.id(0)).forwardProposal(requestId, payload));
            }
            case "transfer-leader" -> {
                int target = args.intAt(1, "target node id");
                attempt(out, () -> node(args.id(0)).transferLeadership(target));
            }
            case "process-ready" -> processReady(args.id(0), out, true);
            case "deliver-msgs" -> deliver(args.id(0), filter(args, false), out, true);
            case "drop-msgs" -> dropMsgs(filter(args, true), out);
            case "network" -> network.forEach(m -> out.add(format.message(m)));
            case "stabilize" -> stabilize(args, out);
            case "isolate" -> isolated.add(host(args.id(0)).id);
            case "heal" -> isolated.clear();
            case "status" -> status(args.id(0), out);
            case "raft-log" -> raftLog(args.id(0), out);
            case "applied" -> host(args.id(0)).applied.forEach(e -> out.add(InteractionFormat.entry(e)));
            case "compact" -> compact(args, out);
            case "send-snapshot" -> sendSnapshot(args, out);
            case "report-snapshot" -> reportSnapshot(args);
            case "restart" -> restart(args, out);
            default -> throw new ScriptError("unknown command '" + args.command() + "'; known: " + COMMANDS);
        }
    }

    // ----- setup ----------------------------------------------------------------------------

    /** Adds N nodes numbered after the existing ones, with empty disks, all knowing the same configuration. */
    private void addNodes(InteractionArgs args) {
        int count = args.intAt(0, "node count");
        int first = hosts.isEmpty() ? 1 : hosts.lastKey() + 1;
        Set<Integer> newIds = new TreeSet<>();
        for (int id = first; id < first + count; id++) {
            newIds.add(id);
        }
        Set<Integer> voters = args.ids("voters", newIds);
        Set<Integer> learners = args.ids("learners", Set.of());
        RaftConfig defaults = RaftConfig.defaults(1);
        int[] election = args.range("election", defaults.electionTimeoutTicksMin(), defaults.electionTimeoutTicksMax());
        int heartbeat = args.intNamed("heartbeat", defaults.heartbeatIntervalTicks());
        int msgBytes = args.intNamed("msgbytes", defaults.messageBytesMax());
        int inflight = args.intNamed("inflight", defaults.inflightMessagesMax());
        long uncommitted = args.longNamed("uncommitted", defaults.uncommittedBytesMax());
        boolean preVote = args.bool("prevote", defaults.preVote());
        boolean checkQuorum = args.bool("checkquorum", defaults.checkQuorum());
        Set<DeliberateBug> bugs = EnumSet.noneOf(DeliberateBug.class);
        for (String bug : args.list("bugs")) {
            try {
                bugs.add(DeliberateBug.valueOf(bug.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ScriptError("unknown deliberate bug '" + bug + "'; known: " + EnumSet.allOf(DeliberateBug.class));
            }
        }
        Membership membership = new Membership(voters, learners);
        for (int id : newIds) {
            RaftConfig config = RaftConfig.builder(id).electionTimeoutTicks(election[0], election[1])
                    .heartbeatIntervalTicks(heartbeat).messageBytesMax(msgBytes).inflightMessagesMax(inflight)
                    .uncommittedBytesMax(uncommitted).preVote(preVote).checkQuorum(checkQuorum).deliberateBugs(bugs)
                    .build();
            hosts.put(id, new InteractionHost(config, membership));
        }
    }

    // ----- inputs ---------------------------------------------------------------------------

    private void tick(int id, int count) {
        for (int i = 0; i < count; i++) {
            node(id).tick();
        }
    }

    /**
     * Ticks until an election timeout has visibly passed: the node's role, term or leader changed
     * (a campaign, or a leader stepping down under CheckQuorum), or a follower that had nothing to
     * say has something to send (a repeated pre-vote round). A leader needs up to two CheckQuorum
     * windows (the first one may still count the acknowledgements from before), so the bound is two
     * maximum election timeouts.
     */
    private void tickElection(int id) {
        RaftNode node = node(id);
        SoftState before = node.softState();
        int max = 2 * host(id).config.electionTimeoutTicksMax();
        for (int i = 0; i < max; i++) {
            boolean hadReady = node.hasReady();
            node.tick();
            if (!node.softState().equals(before)
                    || (node.role() != Role.LEADER && !hadReady && node.hasReady())) {
                return;
            }
        }
    }

    private void propose(InteractionArgs args, List<String> out) {
        RaftNode node = node(args.id(0));
        List<byte[]> payloads = new ArrayList<>();
        for (String text : args.rest(1, "command text")) {
            payloads.add(bytes(text));
        }
        attempt(out, () -> out.add("index=" + node.propose(payloads)));
    }

    private void proposeConf(InteractionArgs args, List<String> out) {
        RaftNode node = node(args.id(0));
        Membership next = new Membership(args.requiredIds("voters"), args.ids("learners", Set.of()));
        attempt(out, () -> out.add("index=" + node.proposeMembership(next)));
    }

    /** Runs a documented input of the core; the exceptions it reports to its host are printed, not thrown. */
    private static void attempt(List<String> out, Runnable input) {
        try {
            input.run();
        } catch (NotLeaderException | ProposalDroppedException | MembershipChangeException
                 | IllegalStateException e) {
            out.add("error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ----- Ready and network ----------------------------------------------------------------

    private boolean processReady(int id, List<String> out, boolean sayWhenNone) {
        InteractionHost host = host(id);
        if (!host.node.hasReady()) {
            if (sayWhenNone) {
                out.add("(no ready)");
            }
            return false;
        }
        Ready ready = host.node.ready();
        // Printed before it is carried out, so that a failing host check follows the Ready it is about.
        out.addAll(format.ready(id, ready));
        host.handle(ready, network);
        return true;
    }

    /** Steps every queued message to {@code id} that the filter selects, in send order. */
    private boolean deliver(int id, Predicate<Message> filter, List<String> out, boolean sayWhenNone) {
        InteractionHost host = host(id);
        List<Message> batch = take(m -> m.to() == id && filter.test(m));
        if (batch.isEmpty()) {
            if (sayWhenNone) {
                out.add("(no messages)");
            }
            return false;
        }
        out.add("Deliver " + id + ":");
        for (Message m : batch) {
            if (isolated.contains(m.from()) || isolated.contains(m.to())) {
                out.add("  dropped: " + format.message(m));
            } else {
                InteractionHost sender = hosts.get(m.from());
                RaftNode.Observation seen = sender == null ? RaftNode.Observation.ACCEPTED
                        : host.node.observe(m.from(), sender.identity());
                if (seen == RaftNode.Observation.OTHER_CLUSTER) {
                    out.add("  refused (other cluster): " + format.message(m));
                    continue;
                }
                out.add("  " + format.message(m) + (seen == RaftNode.Observation.STORAGE_REPLACED
                        ? "  (storage replaced)" : ""));
                host.node.step(m);
            }
        }
        return true;
    }

    private void dropMsgs(Predicate<Message> filter, List<String> out) {
        for (Message m : take(filter)) {
            out.add("dropped: " + format.message(m));
        }
    }

    private List<Message> take(Predicate<Message> filter) {
        List<Message> taken = new ArrayList<>();
        Iterator<Message> it = network.iterator();
        while (it.hasNext()) {
            Message m = it.next();
            if (filter.test(m)) {
                taken.add(m);
                it.remove();
            }
        }
        return taken;
    }

    /** from=, to= and type= (comma-separated short types such as app,hb) narrow a message selection. */
    private static Predicate<Message> filter(InteractionArgs args, boolean allowTo) {
        Set<Integer> from = args.ids("from", null);
        Set<Integer> to = allowTo ? args.ids("to", null) : null;
        Set<String> types = new TreeSet<>();
        for (String type : args.list("type")) {
            String normal = type.toLowerCase(Locale.ROOT).replace("hb", "heartbeat");
            if (!InteractionFormat.MESSAGE_TYPES.contains(normal)) {
                throw new ScriptError("unknown message type '" + type + "'; known: "
                        + new TreeSet<>(InteractionFormat.MESSAGE_TYPES) + " (hb = heartbeat)");
            }
            types.add(normal);
        }
        return m -> (from == null || from.contains(m.from())) && (to == null || to.contains(m.to()))
                && (types.isEmpty() || types.contains(InteractionFormat.shortType(m)));
    }

    /**
     * Processes the Ready of every node and then delivers every queued message, round after round,
     * until nothing is left. With ids, only those nodes take part: messages to other nodes stay queued.
     */
    private void stabilize(InteractionArgs args, List<String> out) {
        Set<Integer> ids = new TreeSet<>();
        for (int i = 0; args.has(i); i++) {
            ids.add(args.id(i));
        }
        if (ids.isEmpty()) {
            ids.addAll(hosts.keySet());
        }
        for (int round = 0; round < STABILIZE_ROUNDS; round++) {
            boolean busy = false;
            for (int id : ids) {
                busy |= processReady(id, out, false);
            }
            for (int id : ids) {
                busy |= deliver(id, m -> true, out, false);
            }
            if (!busy) {
                return;
            }
        }
        throw new ScriptError("stabilize did not converge in " + STABILIZE_ROUNDS + " rounds");
    }

    // ----- observation ----------------------------------------------------------------------

    private void status(int id, List<String> out) {
        InteractionHost host = host(id);
        RaftNode node = host.node;
        out.add(id + ": " + InteractionFormat.soft(node.softState()) + " vote=" + node.hardState().votedFor()
                + (node.isTransferringLeadership() ? " transferring" : "")
                + (node.countsAsItself() ? "" : " replaced")
                + (node.clusterId() == 0 ? "" : " cluster=" + Long.toHexString(node.clusterId())));
        out.add("  log: start=" + node.logStartIndex() + "@" + node.termAt(node.logStartIndex()) + " last="
                + node.lastIndex() + "@" + node.lastTerm() + " commit=" + node.commitIndex() + " applied="
                + host.appliedIndex);
        out.add("  membership: " + InteractionFormat.membership(node.membership()));
        List<PeerProgress> progress = node.progress();
        if (!progress.isEmpty()) {
            out.add("  progress:");
            for (PeerProgress p : progress) {
                out.add("    " + p.id() + " " + p.stateName() + " match=" + p.matchIndex() + " next=" + p.nextIndex()
                        + (p.voter() ? "" : " learner") + " storage=" + p.storageId());
            }
        }
    }

    private void raftLog(int id, List<String> out) {
        RaftNode node = node(id);
        out.add("start=" + node.logStartIndex() + "@" + node.termAt(node.logStartIndex()));
        for (long i = node.logStartIndex() + 1; i <= node.lastIndex(); i++) {
            out.add(InteractionFormat.entry(node.entryAt(i)));
        }
    }

    // ----- snapshots and restarts -----------------------------------------------------------

    private void compact(InteractionArgs args, List<String> out) {
        InteractionHost host = host(args.id(0));
        long index = args.longAt(1, "index");
        host.compact(index);
        out.add("log start=" + host.node.logStartIndex() + "@" + host.node.termAt(host.node.logStartIndex()));
    }

    private void sendSnapshot(InteractionArgs args, List<String> out) {
        InteractionHost leader = host(args.id(0));
        InteractionHost peer = host(args.id(1));
        Message snapshot = leader.snapshotFor(peer);
        network.add(snapshot);
        out.add("sent: " + format.message(snapshot));
    }

    private void reportSnapshot(InteractionArgs args) {
        RaftNode leader = node(args.id(0));
        int peer = args.id(1);
        boolean delivered = args.bool("delivered", true);
        long index = args.longNamed("index");
        leader.reportSnapshot(peer, delivered, index);
    }

    private void restart(InteractionArgs args, List<String> out) {
        int id = args.id(0);
        InteractionHost host = host(id);
        if (args.bool("wipe", false)) {
            host.wipe();
        } else {
            host.start();
        }
        RaftNode node = host.node;
        out.add(id + " restarted: " + InteractionFormat.soft(node.softState()) + " vote=" + node.hardState().votedFor()
                + " commit=" + node.commitIndex() + " last=" + node.lastIndex() + "@" + node.lastTerm() + " applied="
                + host.appliedIndex);
    }

    // ----- lookups --------------------------------------------------------------------------

    private InteractionHost host(int id) {
        InteractionHost host = hosts.get(id);
        if (host == null) {
            throw new ScriptError("no node " + id + " (nodes: " + hosts.keySet() + ")");
        }
        return host;
    }

    private RaftNode node(int id) {
        return host(id).node;
    }
}
