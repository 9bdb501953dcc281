package io.rafty.transport;

import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.Membership;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.TimeoutNow;
import io.rafty.raft.message.VoteResponse;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The peer wire format: a compact, versioned binary encoding of a batch of Raft messages, one HTTP
 * body per batch. Hand-written rather than Jackson because it is on the hottest path and must reject
 * hostile input precisely: every length is checked against what remains, so garbage yields an
 * {@link IllegalArgumentException}, never an allocation bomb or a half-built message.
 *
 * <pre>
 * batch   := version:u8(=2) clusterId:i64 storageId:i64 count:i32 message*
 * message := kind:u8 from:i32 to:i32 term:i64 body
 * entry   := term:i64 index:i64 type:u8 length:i32 payload
 * </pre>
 *
 * The batch header is the sender's {@link PeerIdentity}. Kinds 1–8 are the Raft messages proper;
 * 9–12 carry a follower's forwarded reads ({@code context:i64}, answered with
 * {@code context:i64 index:i64}) and commands ({@code context:i64 count:i32 (length:i32 payload)*},
 * answered with {@code context:i64 firstIndex:i64}). Version 1 (no identity) is refused: every node
 * of a cluster runs one version.
 */
public final class MessageCodec {

    private static final byte VERSION = 2;
    private static final byte REQUEST_VOTE = 1;
    private static final byte VOTE_RESPONSE = 2;
    private static final byte APPEND_ENTRIES = 3;
    private static final byte APPEND_RESPONSE = 4;
    private static final byte HEARTBEAT = 5;
    private static final byte HEARTBEAT_RESPONSE = 6;
    private static final byte INSTALL_SNAPSHOT = 7;
    private static final byte TIMEOUT_NOW = 8;
    private static final byte READ_INDEX_REQUEST = 9;
    private static final byte READ_INDEX_RESPONSE = 10;
    private static final byte PROPOSE = 11;
    private static final byte PROPOSE_RESPONSE = 12;
    private static final int BATCH_HEADER_BYTES = 1 + 8 + 8 + 4;
    private static final byte PRE_VOTE_FLAG = 1;
    private static final byte TRANSFER_FLAG = 2;
    private static final int MAX_MEMBERSHIP_BYTES = 1 << 16;
    private static final int MESSAGE_HEADER_BYTES = 1 + 4 + 4 + 8;
    private static final int ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;

    private MessageCodec() {
    }

    /** One decoded batch: who sent it and what. */
    public record Batch(PeerIdentity sender, List<Message> messages) {
    }

    public static byte[] encode(PeerIdentity sender, List<Message> messages) {
        int size = BATCH_HEADER_BYTES;
        for (Message message : messages) {
            size += sizeOf(message);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put(VERSION).putLong(sender.clusterId()).putLong(sender.storageId()).putInt(messages.size());
        for (Message message : messages) {
            write(out, message);
        }
        return out.array();
    }

    /** Decodes a batch; throws {@link IllegalArgumentException} naming the problem on any malformed input. */
    public static Batch decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown peer message version " + version
                        + (version == 1 ? " (a node of an older Rafty: every member must run the same version)" : ""));
            }
            long clusterId = in.getLong();
            PeerIdentity sender = new PeerIdentity(clusterId, in.getLong());
            int count = in.getInt();
            if (count < 0 || (long) count * MESSAGE_HEADER_BYTES > in.remaining()) {
                throw new IllegalArgumentException("message count " + count + " does not fit the body");
            }
            List<Message> messages = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                messages.add(read(in));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes after the last message");
            }
            return new Batch(sender, messages);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated peer message", e);
        }
    }

    private static int sizeOf(Message message) {
        int body;
        if (message instanceof RequestVote) {
            body = 8 + 8 + 1;
        } else if (message instanceof VoteResponse) {
            body = 2;
        } else if (message instanceof AppendEntries append) {
            body = 8 + 8 + 8 + 4;
            for (Entry entry : append.entries()) {
                body += ENTRY_HEADER_BYTES + entry.payload().length;
            }
        } else if (message instanceof AppendResponse) {
            body = 1 + 8 + 8 + 8;
        } else if (message instanceof Heartbeat) {
            body = 8 + 8;
        } else if (message instanceof InstallSnapshot snapshot) {
            body = 8 + 8 + 4 + snapshot.membership().encode().length;
        } else if (message instanceof TimeoutNow) {
            body = 0;
        } else if (message instanceof ReadIndexRequest) {
            body = 8;
        } else if (message instanceof ReadIndexResponse) {
            body = 8 + 8;
        } else if (message instanceof Propose propose) {
            body = 8 + 4;
            for (byte[] payload : propose.payloads()) {
                body += 4 + payload.length;
            }
        } else if (message instanceof ProposeResponse) {
            body = 8 + 8;
        } else {
            body = 8 + 8;
        }
        return MESSAGE_HEADER_BYTES + body;
    }

    private static void write(ByteBuffer out, Message message) {
        if (message instanceof RequestVote m) {
            header(out, REQUEST_VOTE, m);
            out.putLong(m.lastLogIndex()).putLong(m.lastLogTerm())
                    .put((byte) ((m.preVote() ? PRE_VOTE_FLAG : 0) | (m.transfer() ? TRANSFER_FLAG : 0)));
        } else if (message instanceof VoteResponse m) {
            header(out, VOTE_RESPONSE, m);
            out.put(bool(m.granted())).put(bool(m.preVote()));
        } else if (message instanceof AppendEntries m) {
            header(out, APPEND_ENTRIES, m);
            out.putLong(m.prevLogIndex()).putLong(m.prevLogTerm()).putLong(m.leaderCommit());
            out.putInt(m.entries().size());
            for (Entry entry : m.entries()) {
                out.putLong(entry.term()).putLong(entry.index()).put(entry.type().code());
                out.putInt(entry.payload().length).put(entry.payload());
            }
        } else if (message instanceof AppendResponse m) {
            header(out, APPEND_RESPONSE, m);
            out.put(bool(m.success())).putLong(m.index()).putLong(m.conflictIndex()).putLong(m.conflictTerm());
        } else if (message instanceof Heartbeat m) {
            header(out, HEARTBEAT, m);
            out.putLong(m.commit()).putLong(m.readContext());
        } else if (message instanceof HeartbeatResponse m) {
            header(out, HEARTBEAT_RESPONSE, m);
            out.putLong(m.readContext()).putLong(m.lastIndex());
        } else if (message instanceof TimeoutNow m) {
            header(out, TIMEOUT_NOW, m);
        } else if (message instanceof InstallSnapshot m) {
            header(out, INSTALL_SNAPSHOT, m);
            byte[] membership = m.membership().encode();
            out.putLong(m.snapshotIndex()).putLong(m.snapshotTerm()).putInt(membership.length).put(membership);
        } else if (message instanceof ReadIndexRequest m) {
            header(out, READ_INDEX_REQUEST, m);
            out.putLong(m.context());
        } else if (message instanceof ReadIndexResponse m) {
            header(out, READ_INDEX_RESPONSE, m);
            out.putLong(m.context()).putLong(m.index());
        } else if (message instanceof Propose m) {
            header(out, PROPOSE, m);
            out.putLong(m.context()).putInt(m.payloads().size());
            for (byte[] payload : m.payloads()) {
                out.putInt(payload.length).put(payload);
            }
        } else if (message instanceof ProposeResponse m) {
            header(out, PROPOSE_RESPONSE, m);
            out.putLong(m.context()).putLong(m.firstIndex());
        } else {
            throw new IllegalArgumentException("cannot encode " + message.getClass());
        }
    }

    private static void header(ByteBuffer out, byte kind, Message message) {
        out.put(kind).putInt(message.from()).putInt(message.to()).putLong(message.term());
    }

    private static Message read(ByteBuffer in) {
        byte kind = in.get();
        int from = positive(in.getInt(), "from");
        int to = positive(in.getInt(), "to");
        long term = nonNegative(in.getLong(), "term");
        return switch (kind) {
            case REQUEST_VOTE -> readRequestVote(in, from, to, term);
            case TIMEOUT_NOW -> new TimeoutNow(from, to, term);
            case VOTE_RESPONSE -> new VoteResponse(from, to, term, readBool(in), readBool(in));
            case APPEND_ENTRIES -> readAppend(in, from, to, term);
            case APPEND_RESPONSE -> new AppendResponse(from, to, term, readBool(in),
                    nonNegative(in.getLong(), "index"), nonNegative(in.getLong(), "conflictIndex"),
                    nonNegative(in.getLong(), "conflictTerm"));
            case HEARTBEAT -> new Heartbeat(from, to, term, nonNegative(in.getLong(), "commit"),
                    nonNegative(in.getLong(), "readContext"));
            case HEARTBEAT_RESPONSE -> new HeartbeatResponse(from, to, term, nonNegative(in.getLong(), "readContext"),
                    nonNegative(in.getLong(), "lastIndex"));
            case INSTALL_SNAPSHOT -> readInstallSnapshot(in, from, to, term);
            case READ_INDEX_REQUEST -> new ReadIndexRequest(from, to, term, nonNegative(in.getLong(), "context"));
            case READ_INDEX_RESPONSE -> new ReadIndexResponse(from, to, term, nonNegative(in.getLong(), "context"),
                    nonNegative(in.getLong(), "index"));
            case PROPOSE -> readPropose(in, from, to, term);
            case PROPOSE_RESPONSE -> new ProposeResponse(from, to, term, nonNegative(in.getLong(), "context"),
                    nonNegative(in.getLong(), "firstIndex"));
            default -> throw new IllegalArgumentException("unknown peer message kind " + kind);
        };
    }

    private static RequestVote readRequestVote(ByteBuffer in, int from, int to, long term) {
        long lastLogIndex = nonNegative(in.getLong(), "lastLogIndex");
        long lastLogTerm = nonNegative(in.getLong(), "lastLogTerm");
        byte flags = in.get();
        if ((flags & ~(PRE_VOTE_FLAG | TRANSFER_FLAG)) != 0) {
            throw new IllegalArgumentException("unknown vote flags " + flags);
        }
        return new RequestVote(from, to, term, lastLogIndex, lastLogTerm, (flags & PRE_VOTE_FLAG) != 0,
                (flags & TRANSFER_FLAG) != 0);
    }

    private static InstallSnapshot readInstallSnapshot(ByteBuffer in, int from, int to, long term) {
        long index = nonNegative(in.getLong(), "snapshotIndex");
        long snapshotTerm = nonNegative(in.getLong(), "snapshotTerm");
        int length = in.getInt();
        if (length < 0 || length > MAX_MEMBERSHIP_BYTES || length > in.remaining()) {
            throw new IllegalArgumentException("membership length " + length + " does not fit the body");
        }
        byte[] membership = new byte[length];
        in.get(membership);
        try {
            return new InstallSnapshot(from, to, term, index, snapshotTerm, Membership.decode(membership));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed membership: " + e.getMessage(), e);
        }
    }

    private static Propose readPropose(ByteBuffer in, int from, int to, long term) {
        long context = nonNegative(in.getLong(), "context");
        int count = in.getInt();
        if (count < 1 || (long) count * 4 > in.remaining()) {
            throw new IllegalArgumentException("proposal count " + count + " does not fit the body");
        }
        List<byte[]> payloads = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new IllegalArgumentException("proposal length " + length + " does not fit the body");
            }
            byte[] payload = new byte[length];
            in.get(payload);
            payloads.add(payload);
        }
        return new Propose(from, to, term, context, payloads);
    }

    private static AppendEntries readAppend(ByteBuffer in, int from, int to, long term) {
        long prevLogIndex = nonNegative(in.getLong(), "prevLogIndex");
        long prevLogTerm = nonNegative(in.getLong(), "prevLogTerm");
        long leaderCommit = nonNegative(in.getLong(), "leaderCommit");
        int count = in.getInt();
        if (count < 0 || (long) count * ENTRY_HEADER_BYTES > in.remaining()) {
            throw new IllegalArgumentException("entry count " + count + " does not fit the body");
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long entryTerm = in.getLong();
            long index = in.getLong();
            EntryType type = EntryType.fromCode(in.get());
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new IllegalArgumentException("entry payload length " + length + " does not fit the body");
            }
            byte[] payload = new byte[length];
            in.get(payload);
            if (index != prevLogIndex + 1 + i) {
                throw new IllegalArgumentException("entries are not contiguous after " + prevLogIndex);
            }
            if (entryTerm > term || entryTerm < 1) {
                throw new IllegalArgumentException("entry term " + entryTerm + " is outside 1.." + term);
            }
            if (type == EntryType.CONFIGURATION) {
                // A configuration the log could never decode again would make the node unable to restart.
                Membership.decode(payload);
            }
            entries.add(new Entry(entryTerm, index, type, payload));
        }
        return new AppendEntries(from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit);
    }

    private static byte bool(boolean value) {
        return (byte) (value ? 1 : 0);
    }

    private static boolean readBool(ByteBuffer in) {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new IllegalArgumentException("bad boolean byte " + b);
        }
        return b == 1;
    }

    private static int positive(int value, String field) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, was " + value);
        }
        return value;
    }

    private static long nonNegative(long value, String field) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
        return value;
    }
}
