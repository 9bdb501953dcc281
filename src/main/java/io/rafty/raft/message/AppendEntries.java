package io.rafty.raft.message;

import io.rafty.raft.Entry;
import java.util.List;

/**
 * Replicates {@code entries}, which follow the entry at {@code prevLogIndex} of term
 * {@code prevLogTerm} (Raft §5.3). May be empty, to probe a follower's log.
 */
public record AppendEntries(int from, int to, long term, long prevLogIndex, long prevLogTerm,
                            List<Entry> entries, long leaderCommit) implements Message {

    @Override
    public Kind kind() {
        return Kind.APPEND_ENTRIES;
    }

    public AppendEntries {
        entries = List.copyOf(entries);
    }

    public long lastIndex() {
        return prevLogIndex + entries.size();
    }
}
