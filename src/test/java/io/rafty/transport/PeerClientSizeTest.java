package io.rafty.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rafty.raft.Entry;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.Propose;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peer client cuts batches by size; forwarded commands count by their bytes like entries do. */
class PeerClientSizeTest {

    @Test
    void commandsAndEntriesCountByTheirBytes() {
        assertEquals(64, PeerClient.approximateBytes(new Heartbeat(1, 2, 3, 4, 5)));
        assertEquals(64 + 2 * (1000 + 4), PeerClient.approximateBytes(
                new Propose(2, 1, 3, 7, List.of(new byte[1000], new byte[1000]))));
        Entry entry = Entry.command(3, 5, new byte[500]);
        assertEquals(64 + entry.sizeBytes(), PeerClient.approximateBytes(
                new AppendEntries(1, 2, 3, 4, 3, List.of(entry), 4)));
    }
}
