package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.storage.InMemoryKvStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replicated auth table: its changes, their log encoding, and the state machine applying them. */
class AuthStateTest {

    private static final byte[] KEY = new byte[32];

    private static AuthState.Permission read(String prefix) {
        return new AuthState.Permission(prefix.getBytes(StandardCharsets.UTF_8), AuthState.Access.READ);
    }

    private static Entry entry(long index, Command command) {
        return new Entry(1, index, EntryType.COMMAND, CommandCodec.encode(command));
    }

    @Test
    void enablingCreatesRootOnceAndKeepsTheFirstSigningKey() {
        AuthState first = AuthState.EMPTY.apply(new AuthChange.Enable("hash-1", KEY), 5).state();
        assertTrue(first.enabled());
        assertEquals(List.of("root"), first.user("root").roles());
        assertEquals(5, first.user("root").passwordRevision());
        byte[] other = new byte[32];
        other[0] = 1;
        AuthState again = first.apply(new AuthChange.Enable("hash-2", other), 9).state();
        assertEquals("hash-1", again.user("root").passwordHash(), "an existing root keeps its password");
        assertArrayEquals(KEY, again.signingKey(), "the first key stays: tokens stay valid");
    }

    @Test
    void usersNeedAPasswordAndExistingRolesAndRootIsProtected() {
        AuthState state = AuthState.EMPTY.apply(new AuthChange.Enable("h", KEY), 1).state();
        assertEquals("bad_request", state.apply(new AuthChange.PutUser("alice", null, List.of()), 2).error());
        assertEquals("role_not_found", state.apply(new AuthChange.PutUser("alice", "h", List.of("nope")), 2).error());
        assertEquals("bad_request", state.apply(new AuthChange.DeleteUser("root"), 2).error());
        assertEquals("bad_request", state.apply(new AuthChange.PutUser("root", null, List.of()), 2).error());
        assertEquals("bad_request", state.apply(new AuthChange.PutRole("root", List.of()), 2).error());
        assertEquals("bad_request", state.apply(new AuthChange.PutUser("bad name", "h", List.of()), 2).error());
        assertEquals("user_not_found", state.apply(new AuthChange.DeleteUser("ghost"), 2).error());
    }

    @Test
    void aPasswordChangeMovesThePasswordRevisionARoleChangeDoesNot() {
        AuthState state = AuthState.EMPTY.apply(new AuthChange.Enable("h", KEY), 1).state()
                .apply(new AuthChange.PutRole("reader", List.of(read("app/"))), 2).state()
                .apply(new AuthChange.PutUser("alice", "h1", List.of("reader")), 3).state();
        assertEquals(3, state.user("alice").passwordRevision());
        AuthState roles = state.apply(new AuthChange.PutUser("alice", null, List.of()), 4).state();
        assertEquals(3, roles.user("alice").passwordRevision());
        assertEquals(List.of(), roles.user("alice").roles());
        AuthState password = state.apply(new AuthChange.PutUser("alice", "h2", null), 7).state();
        assertEquals(7, password.user("alice").passwordRevision());
        assertEquals(List.of("reader"), password.user("alice").roles(), "null roles keep the roles");
        AuthState roleGone = state.apply(new AuthChange.DeleteRole("reader"), 8).state();
        assertEquals(List.of(), roleGone.user("alice").roles(), "deleting a role takes it from its users");
    }

    @Test
    void theTableAndEveryChangeSurviveTheirEncodings() {
        AuthState state = AuthState.EMPTY.apply(new AuthChange.Enable("h", KEY), 1).state()
                .apply(new AuthChange.PutRole("r", List.of(read("app/"),
                        new AuthState.Permission(new byte[] {0, (byte) 0xFF}, AuthState.Access.READWRITE))), 2).state()
                .apply(new AuthChange.PutUser("alice", "h1", List.of("r")), 3).state();
        assertEquals(state, AuthState.decode(state.encode()));
        List<AuthChange> changes = List.of(new AuthChange.Enable("h", KEY),
                new AuthChange.PutUser("a", "h", List.of("r")), new AuthChange.PutUser("a", null, null),
                new AuthChange.PutUser("a", "h", null), new AuthChange.DeleteUser("a"),
                new AuthChange.PutRole("r", List.of(read("x"))), new AuthChange.DeleteRole("r"));
        for (AuthChange change : changes) {
            Command decoded = CommandCodec.decode(CommandCodec.encode(new Command.Auth(change)));
            assertArrayEquals(CommandCodec.encode(new Command.Auth(change)), CommandCodec.encode(decoded),
                    change.toString());
        }
        byte[] bytes = CommandCodec.encode(new Command.Auth(new AuthChange.PutUser("a", "h", List.of("r"))));
        assertThrows(IllegalArgumentException.class,
                () -> CommandCodec.decode(java.util.Arrays.copyOf(bytes, bytes.length - 1)));
        assertThrows(IllegalArgumentException.class, () -> AuthState.decode(new byte[] {1, 1, 0, 0}));
    }

    @Test
    void theStateMachineAppliesChangesInOrderAndRefusalsChangeNothing() {
        InMemoryKvStore store = new InMemoryKvStore();
        KvStateMachine machine = new KvStateMachine(store);
        List<Entry> entries = new ArrayList<>();
        entries.add(entry(1, new Command.Auth(new AuthChange.Enable("h", KEY))));
        entries.add(entry(2, new Command.Auth(new AuthChange.PutUser("alice", null, List.of()))));
        entries.add(entry(3, new Command.Auth(new AuthChange.PutRole("r", List.of(read("app/"))))));
        entries.add(entry(4, new Command.Auth(new AuthChange.PutUser("alice", "h", List.of("r")))));
        List<KvResult> results = machine.apply(entries);
        assertNull(((KvResult.AuthChanged) results.get(0)).error());
        assertEquals("bad_request", ((KvResult.AuthChanged) results.get(1)).error());
        assertNull(((KvResult.AuthChanged) results.get(3)).error());
        assertNotNull(machine.authState().user("alice"));
        assertEquals(4, store.appliedIndex());
        // Applying the same entries again (a replay after a crash) changes nothing.
        AuthState before = machine.authState();
        machine.apply(entries);
        assertEquals(before, machine.authState());
        assertFalse(machine.authState().user("alice").toString().contains("h,"), "toString shows no hash");
    }
}
