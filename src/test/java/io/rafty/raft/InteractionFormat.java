package io.rafty.raft;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.TimeoutNow;
import io.rafty.raft.message.VoteResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * How the interaction harness prints the core's values: one compact, stable line per message and
 * entry, and indented blocks for a Ready. Everything printed is derived from ordered data (lists,
 * sorted sets), never from hash iteration, so the output is the same on every JVM.
 *
 * <p>Forwarding contexts (the ids of forwarded read and command batches) start at a random 62-bit
 * number; printing them raw would make the files unreadable, so each is shown as an alias
 * ({@code #1}, {@code #2}, ...) in the order it is first printed. Equal aliases mean equal contexts.
 */
final class InteractionFormat {

    private final Map<Long, String> contextAliases = new HashMap<>();

    /** The message names, as the {@code type=} filters of the harness spell them (without "Msg"). */
    static final Set<String> MESSAGE_TYPES = Set.of("app", "appresp", "heartbeat", "heartbeatresp", "prevote",
            "prevoteresp", "vote", "voteresp", "snap", "timeoutnow", "readindex", "readindexresp", "prop",
            "propresp");

    static String typeName(Message m) {
        if (m instanceof RequestVote r) {
            return r.preVote() ? "MsgPreVote" : "MsgVote";
        } else if (m instanceof VoteResponse r) {
            return r.preVote() ? "MsgPreVoteResp" : "MsgVoteResp";
        } else if (m instanceof AppendEntries) {
            return "MsgApp";
        } else if (m instanceof AppendResponse) {
            return "MsgAppResp";
        } else if (m instanceof Heartbeat) {
            return "MsgHeartbeat";
        } else if (m instanceof HeartbeatResponse) {
            return "MsgHeartbeatResp";
        } else if (m instanceof InstallSnapshot) {
            return "MsgSnap";
        } else if (m instanceof TimeoutNow) {
            return "MsgTimeoutNow";
        } else if (m instanceof ReadIndexRequest) {
            return "MsgReadIndex";
        } else if (m instanceof ReadIndexResponse) {
            return "MsgReadIndexResp";
        } else if (m instanceof Propose) {
            return "MsgProp";
        } else if (m instanceof ProposeResponse) {
            return "MsgPropResp";
        }
        throw new IllegalArgumentException("unknown message type " + m.getClass());
    }

    /** The short type used by filters: "MsgAppResp" is "appresp". */
    static String shortType(Message m) {
        return typeName(m).substring(3).toLowerCase(Locale.ROOT);
    }

    String message(Message m) {
        StringBuilder out = new StringBuilder();
        out.append(m.from()).append("->").append(m.to()).append(' ').append(typeName(m)).append(" t").append(m.term());
        if (m instanceof RequestVote r) {
            out.append(" last=").append(r.lastLogIndex()).append('@').append(r.lastLogTerm());
            if (r.transfer()) {
                out.append(" transfer");
            }
        } else if (m instanceof VoteResponse r) {
            out.append(r.granted() ? " granted" : " rejected");
        } else if (m instanceof AppendEntries a) {
            out.append(" prev=").append(a.prevLogIndex()).append('@').append(a.prevLogTerm())
                    .append(" commit=").append(a.leaderCommit()).append(" entries=[");
            StringJoiner entries = new StringJoiner(", ");
            for (Entry entry : a.entries()) {
                entries.add(entry(entry));
            }
            out.append(entries).append(']');
        } else if (m instanceof AppendResponse r) {
            out.append(r.success() ? " ok" : " reject").append(" index=").append(r.index());
            if (!r.success()) {
                out.append(" hint=").append(r.conflictIndex()).append('@').append(r.conflictTerm());
            }
        } else if (m instanceof Heartbeat h) {
            out.append(" commit=").append(h.commit()).append(" read=").append(h.readContext());
        } else if (m instanceof HeartbeatResponse r) {
            out.append(" read=").append(r.readContext()).append(" last=").append(r.lastIndex());
        } else if (m instanceof InstallSnapshot s) {
            out.append(" snap=").append(s.snapshotIndex()).append('@').append(s.snapshotTerm()).append(' ')
                    .append(membership(s.membership()));
        } else if (m instanceof ReadIndexRequest r) {
            out.append(" ctx=").append(context(r.context()));
        } else if (m instanceof ReadIndexResponse r) {
            out.append(" ctx=").append(context(r.context())).append(" index=").append(r.index());
        } else if (m instanceof Propose p) {
            StringJoiner commands = new StringJoiner(", ");
            for (byte[] payload : p.payloads()) {
                commands.add(payload(payload));
            }
            out.append(" ctx=").append(context(p.context())).append(" cmds=[").append(commands).append(']');
        } else if (m instanceof ProposeResponse r) {
            out.append(" ctx=").append(context(r.context()));
            out.append(r.firstIndex() == 0 ? " refused" : " first=" + r.firstIndex());
        }
        return out.toString();
    }

    private String context(long context) {
        return contextAliases.computeIfAbsent(context, c -> "#" + (contextAliases.size() + 1));
    }

    /** {@code index@term} and the payload: a command as quoted text, a configuration decoded, a no-op as "noop". */
    static String entry(Entry entry) {
        String head = entry.index() + "@" + entry.term() + " ";
        switch (entry.type()) {
            case NOOP:
                // A no-op is empty today; should it ever carry bytes (a cluster id, say), show them.
                return head + (entry.payload().length == 0 ? "noop" : "noop " + hex(entry.payload()));
            case CONFIGURATION:
                try {
                    return head + "conf " + membership(Membership.decode(entry.payload()));
                } catch (RuntimeException e) {
                    return head + "conf (undecodable) " + hex(entry.payload());
                }
            default:
                return head + payload(entry.payload());
        }
    }

    /** UTF-8 text in quotes when it is printable, else hex. */
    static String payload(byte[] payload) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(payload)).toString();
        } catch (CharacterCodingException e) {
            return hex(payload);
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                return hex(payload);
            }
        }
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder("0x");
        for (byte b : bytes) {
            out.append(String.format(Locale.ROOT, "%02x", b));
        }
        return out.toString();
    }

    static String membership(Membership m) {
        StringBuilder out = new StringBuilder("voters=").append(ids(m.voters()));
        if (!m.learners().isEmpty()) {
            out.append(" learners=").append(ids(m.learners()));
        }
        if (!m.autoPromote().isEmpty()) {
            out.append(" promote=").append(ids(m.autoPromote()));
        }
        if (!m.addresses().isEmpty()) {
            out.append(" addresses=").append(m.addresses());
        }
        if (!m.storageIds().isEmpty()) {
            StringJoiner bound = new StringJoiner(",", "[", "]");
            m.storageIds().forEach((id, storage) -> bound.add(id + ":" + storage));
            out.append(" storage=").append(bound);
        }
        return out.toString();
    }

    static String ids(Set<Integer> ids) {
        StringJoiner out = new StringJoiner(",", "[", "]");
        for (int id : new TreeSet<>(ids)) {
            out.add(Integer.toString(id));
        }
        return out.toString();
    }

    static String role(Role role) {
        return role.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String soft(SoftState soft) {
        return role(soft.role()) + " term=" + soft.term() + " leader=" + soft.leaderId();
    }

    static String hard(HardState hard) {
        return "term=" + hard.term() + " vote=" + hard.votedFor() + " commit=" + hard.commit()
                + (hard.clusterId() == 0 ? "" : " cluster=" + Long.toHexString(hard.clusterId()));
    }

    /** A Ready as an indented block, one section per non-empty part, in the order the host handles them. */
    List<String> ready(int id, Ready ready) {
        List<String> out = new ArrayList<>();
        out.add("Ready " + id + ":");
        if (ready.softState() != null) {
            out.add("  soft: " + soft(ready.softState()));
        }
        if (ready.hardState() != null) {
            out.add("  hard: " + hard(ready.hardState()));
        }
        if (ready.snapshot() != null) {
            SnapshotMeta s = ready.snapshot();
            out.add("  snapshot: " + s.index() + "@" + s.term() + " " + membership(s.membership()));
        }
        section(out, "entries", ready.entries().stream().map(InteractionFormat::entry).toList());
        section(out, "send", ready.messages().stream().map(this::message).toList());
        section(out, "after-persist", ready.messagesAfterPersist().stream().map(this::message).toList());
        section(out, "apply", ready.committedEntries().stream().map(InteractionFormat::entry).toList());
        section(out, "reads", ready.readStates().stream()
                .map(r -> "req=" + r.requestId() + " index=" + r.index()).toList());
        section(out, "forwarded", ready.forwardedProposals().stream()
                .map(f -> "req=" + f.requestId() + (f.refused() ? " refused" : " index=" + f.index())
                        + " term=" + f.term()).toList());
        if (!ready.peersNeedingSnapshot().isEmpty()) {
            StringJoiner peers = new StringJoiner(",");
            ready.peersNeedingSnapshot().forEach(p -> peers.add(Integer.toString(p)));
            out.add("  need-snapshot: " + peers);
        }
        if (out.size() == 1) {
            out.add("  (empty)");
        }
        return out;
    }

    private static void section(List<String> out, String title, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        out.add("  " + title + ":");
        for (String line : lines) {
            out.add("    " + line);
        }
    }
}
