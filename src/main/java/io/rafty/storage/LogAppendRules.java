package io.rafty.storage;

import io.rafty.raft.Entry;
import java.util.List;

/** The checks every {@link LogStore#save} makes before touching storage, shared by both stores. */
final class LogAppendRules {

    private LogAppendRules() {
    }

    /**
     * Rejects a batch that would leave a hole in the log: it must start at an index no later than
     * {@code lastIndex + 1} and be contiguous. A caller breaking this is a bug in the Raft host, not
     * a storage failure, hence {@link IllegalArgumentException}.
     */
    static void requireAppendable(List<Entry> entries, long lastIndex, long logStartIndex) {
        if (entries.isEmpty()) {
            return;
        }
        long firstIndex = entries.get(0).index();
        if (firstIndex <= logStartIndex) {
            throw new IllegalArgumentException("cannot overwrite entry " + firstIndex + ": the log was compacted through "
                    + logStartIndex);
        }
        if (firstIndex > lastIndex + 1) {
            throw new IllegalArgumentException("cannot append entry " + firstIndex + " to a log ending at " + lastIndex
                    + ": it would leave a gap");
        }
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).index() != firstIndex + i) {
                throw new IllegalArgumentException("entries to save are not contiguous: " + entries.get(i - 1)
                        + " is followed by " + entries.get(i));
            }
        }
    }
}
