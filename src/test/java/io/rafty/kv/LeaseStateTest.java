package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.storage.InMemoryKvStore;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The replicated half of leases: the table, attached keys, revokes at one revision, checkpoints. */
class LeaseStateTest {

    private KvStore store;
    private KvStateMachine machine;
    private long nextIndex;

    @BeforeEach
    void setUp() {
        store = new InMemoryKvStore();
        machine = new KvStateMachine(store);
        nextIndex = 1;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private Entry entry(Command command) {
        return Entry.command(1, nextIndex++, CommandCodec.encode(command));
    }

    private KvResult apply(Command command) {
        return machine.apply(List.of(entry(command))).get(0);
    }

    private KvResult put(String key, long lease) {
        return apply(new Command.Put(bytes(key), bytes("v"), Precondition.NONE, lease));
    }

    private List<String> keysOf(long lease) {
        return machine.leaseKeys(lease, 100).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    @Test
    void aGrantWithoutAnIdTakesItsEntryIndexAndAnIdTakenIsRefused() {
        apply(new Command.Put(bytes("x"), bytes("y"), Precondition.NONE));
        KvResult.LeaseGranted granted = assertInstanceOf(KvResult.LeaseGranted.class,
                apply(new Command.LeaseGrant(0, 10)));
        assertEquals(2, granted.lease().id());
        assertEquals(10, machine.lease(2).ttlSeconds());
        assertInstanceOf(KvResult.LeaseGranted.class, apply(new Command.LeaseGrant(77, 5)));
        assertInstanceOf(KvResult.LeaseExists.class, apply(new Command.LeaseGrant(77, 9)));
        assertEquals(5, machine.lease(77).ttlSeconds());
        assertEquals(List.of(2L, 77L), machine.leases().stream().map(Lease::id).toList());
    }

    @Test
    void aPutAttachesItsKeyAndAPutOrDeleteElsewhereDetachesIt() {
        apply(new Command.LeaseGrant(1, 10));
        apply(new Command.LeaseGrant(2, 10));
        put("a", 1);
        put("b", 1);
        assertEquals(1, machine.get(bytes("a")).lease());
        assertEquals(List.of("a", "b"), keysOf(1));
        put("a", 2);
        apply(new Command.Delete(bytes("b"), Precondition.NONE));
        assertEquals(List.of(), keysOf(1));
        assertEquals(List.of("a"), keysOf(2));
        put("a", 0);
        assertEquals(List.of(), keysOf(2), "a put without a lease detaches the key");
        assertEquals(0, machine.get(bytes("a")).lease());
    }

    @Test
    void aPutOrTransactionNamingAnUnknownLeaseChangesNothing() {
        KvResult.LeaseNotFound missing = assertInstanceOf(KvResult.LeaseNotFound.class, put("a", 9));
        assertEquals(9, missing.id());
        assertNull(machine.get(bytes("a")));
        Txn txn = new Txn(List.of(), List.of(new Txn.Put(bytes("b"), bytes("1"), 0),
                new Txn.Put(bytes("c"), bytes("1"), 9)), List.of());
        assertInstanceOf(KvResult.LeaseNotFound.class, apply(new Command.Transaction(txn)));
        assertNull(machine.get(bytes("b")), "not even the put without a lease");
    }

    @Test
    void aRevokeDeletesEveryAttachedKeyAtItsOneRevision() {
        apply(new Command.LeaseGrant(5, 10));
        put("s/1", 5);
        put("s/2", 5);
        put("other", 0);
        // In one batch: attach a third key, then revoke.
        List<KvResult> results = machine.apply(List.of(
                entry(new Command.Put(bytes("s/3"), bytes("v"), Precondition.NONE, 5)),
                entry(new Command.LeaseRevoke(5))));
        KvResult.LeaseRevoked revoked = assertInstanceOf(KvResult.LeaseRevoked.class, results.get(1));
        assertEquals(List.of("s/1", "s/2", "s/3"), revoked.deletes().stream()
                .map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList());
        assertTrue(revoked.deletes().stream().allMatch(e -> e.revision() == revoked.index()
                && e.type() == Event.Type.DELETE));
        assertNull(machine.get(bytes("s/1")));
        assertNull(machine.get(bytes("s/3")));
        assertEquals("v", new String(machine.get(bytes("other")).value(), StandardCharsets.UTF_8));
        assertNull(machine.lease(5));
        assertEquals(List.of(), keysOf(5));
        assertInstanceOf(KvResult.LeaseNotFound.class, apply(new Command.LeaseRevoke(5)));
    }

    @Test
    void aCheckpointNotesRemainingTimeAndCanClearIt() {
        apply(new Command.LeaseGrant(3, 600));
        apply(new Command.LeaseCheckpoint(List.of(new Lease(3, 600, 250_000), new Lease(4, 1, 1))));
        assertEquals(250_000, machine.lease(3).remainingMs());
        apply(new Command.LeaseCheckpoint(List.of(new Lease(3, 600, Lease.NO_CHECKPOINT))));
        assertEquals(Lease.NO_CHECKPOINT, machine.lease(3).remainingMs());
    }

    @Test
    void theLeaseCompareSeesTheKeysLease() {
        apply(new Command.LeaseGrant(8, 10));
        put("k", 8);
        Txn txn = new Txn(List.of(Txn.Compare.number(bytes("k"), Txn.Target.LEASE, Txn.Operator.EQUAL, 8)),
                List.of(new Txn.Get(KeySelector.key(bytes("k")), 1)), List.of());
        assertTrue(machine.readTransaction(txn).outcome().succeeded());
    }

    @Test
    void leaseCommandsRoundTripAndTruncationsAreRejected() {
        List<Command> commands = List.of(new Command.LeaseGrant(0, 30), new Command.LeaseRevoke(12),
                new Command.LeaseCheckpoint(List.of(new Lease(1, 60, 5_000), new Lease(2, 90, -1))),
                new Command.Put(bytes("k"), bytes("v"), new Precondition(null, 0L, null), 44));
        for (Command command : commands) {
            byte[] encoded = CommandCodec.encode(command);
            assertArrayEquals(encoded, CommandCodec.encode(CommandCodec.decode(encoded)), command.toString());
            for (int length = 0; length < encoded.length; length++) {
                byte[] truncated = Arrays.copyOf(encoded, length);
                assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(truncated));
            }
        }
        assertEquals(44, ((Command.Put) CommandCodec.decode(CommandCodec.encode(commands.get(3)))).lease());
    }

    @Test
    void theLeaseTableIsReadBackFromTheStore() {
        apply(new Command.LeaseGrant(6, 10));
        KvStateMachine reopened = new KvStateMachine(store);
        assertEquals(10, reopened.lease(6).ttlSeconds());
    }
}
