package io.rafty.raft.message;

/**
 * A message between Raft peers. Every message carries the sender's term; the receiver steps it
 * through {@code RaftNode.step}. Serialisation lives in {@code io.rafty.transport}.
 */
public sealed interface Message
        permits RequestVote, VoteResponse, AppendEntries, AppendResponse, Heartbeat, HeartbeatResponse,
                InstallSnapshot, TimeoutNow, ReadIndexRequest, ReadIndexResponse, Propose, ProposeResponse {

    int from();

    int to();

    long term();
}
