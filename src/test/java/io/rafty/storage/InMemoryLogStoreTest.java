package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryLogStoreTest extends LogStoreContractTest {

    @Override
    protected LogStore openEmpty() {
        return new InMemoryLogStore();
    }

    @Override
    protected LogStore reopen(LogStore store) {
        store.close();
        return ((InMemoryLogStore) store).reopen();
    }

    @Override
    protected void closeAll() {
        store.close();
    }

    @Test
    void reopenWithoutCloseModelsACrashAndSharesNothing() {
        InMemoryLogStore crashed = new InMemoryLogStore();
        crashed.save(new HardState(1, 1, 0), List.of(Entry.noop(1, 1)));

        InMemoryLogStore restarted = crashed.reopen();
        crashed.save(null, List.of(Entry.noop(1, 2)));

        assertEquals(List.of(Entry.noop(1, 1)), restarted.entries());
        assertEquals(new HardState(1, 1, 0), restarted.hardState());
    }

    @Test
    void closedStoreRejectsUse() {
        store.close();
        assertThrows(StorageException.class, store::lastIndex);
    }
}
