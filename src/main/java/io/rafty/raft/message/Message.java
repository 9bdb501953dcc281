package io.rafty.raft.message;

/**
 * A message between Raft peers. Every message carries the sender's term; the receiver steps it
 * through {@code RaftNode.step}. Serialisation lives in {@code io.rafty.transport}.
 */
public sealed interface Message
        permits RequestVote, VoteResponse, AppendEntries, AppendResponse, Heartbeat, HeartbeatResponse,
                InstallSnapshot, TimeoutNow, ReadIndexRequest, ReadIndexResponse, Propose, ProposeResponse {

    /**
     * Which message this is. Dispatch switches on it rather than testing types one by one: Java 17
     * cannot switch exhaustively over a sealed interface, but a switch expression over this enum
     * fails to compile when a kind is missing.
     */
    enum Kind {
        REQUEST_VOTE, VOTE_RESPONSE, APPEND_ENTRIES, APPEND_RESPONSE, HEARTBEAT, HEARTBEAT_RESPONSE,
        INSTALL_SNAPSHOT, TIMEOUT_NOW, READ_INDEX_REQUEST, READ_INDEX_RESPONSE, PROPOSE, PROPOSE_RESPONSE
    }

    Kind kind();

    int from();

    int to();

    long term();
}
