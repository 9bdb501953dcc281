package io.rafty.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.AuthState;
import io.rafty.kv.KeySelector;
import io.rafty.kv.Txn;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The permission matcher: one permission must cover the whole key set a request touches. */
class PermissionsTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final List<AuthState.Permission> APP_READ = List.of(
            new AuthState.Permission(b("app/"), AuthState.Access.READ));

    @Test
    void aPrefixPermissionCoversItsKeysAndNarrowerPrefixesOnly() {
        assertTrue(Permissions.covers(APP_READ, KeySelector.key(b("app/x")), Permissions.Need.READ));
        assertTrue(Permissions.covers(APP_READ, KeySelector.prefix(b("app/")), Permissions.Need.READ));
        assertTrue(Permissions.covers(APP_READ, KeySelector.prefix(b("app/sub/")), Permissions.Need.READ));
        assertFalse(Permissions.covers(APP_READ, KeySelector.key(b("other/x")), Permissions.Need.READ));
        assertFalse(Permissions.covers(APP_READ, KeySelector.key(b("app")), Permissions.Need.READ));
        // Wider prefixes reach keys outside app/ (GHSA-xg4h-6gfc-h4m8): refused.
        assertFalse(Permissions.covers(APP_READ, KeySelector.prefix(b("ap")), Permissions.Need.READ));
        assertFalse(Permissions.covers(APP_READ, KeySelector.prefix(b("")), Permissions.Need.READ));
    }

    @Test
    void accessMustMatch() {
        assertFalse(Permissions.covers(APP_READ, KeySelector.key(b("app/x")), Permissions.Need.WRITE));
        List<AuthState.Permission> write = List.of(new AuthState.Permission(b("app/"), AuthState.Access.WRITE));
        assertTrue(Permissions.covers(write, KeySelector.key(b("app/x")), Permissions.Need.WRITE));
        assertFalse(Permissions.covers(write, KeySelector.key(b("app/x")), Permissions.Need.READ));
        List<AuthState.Permission> both = List.of(new AuthState.Permission(b("app/"), AuthState.Access.READWRITE));
        assertTrue(Permissions.covers(both, KeySelector.key(b("app/x")), Permissions.Need.READ));
        assertTrue(Permissions.covers(both, KeySelector.key(b("app/x")), Permissions.Need.WRITE));
    }

    @Test
    void rangesMustLieInsideThePrefix() {
        assertTrue(Permissions.covers(APP_READ, KeySelector.range(b("app/a"), b("app/z")), Permissions.Need.READ));
        // app0 is the first key after every app/ key: a range ending there is still inside.
        assertTrue(Permissions.covers(APP_READ, KeySelector.range(b("app/a"), b("app0")), Permissions.Need.READ));
        assertFalse(Permissions.covers(APP_READ, KeySelector.range(b("app/a"), b("app1")), Permissions.Need.READ));
        assertFalse(Permissions.covers(APP_READ, KeySelector.range(b("ap"), b("app/z")), Permissions.Need.READ));
        // An empty end is "to the end of the key space".
        assertFalse(Permissions.covers(APP_READ, KeySelector.range(b("app/a"), new byte[0]), Permissions.Need.READ));
    }

    @Test
    void theEmptyPrefixCoversEverythingAndPermissionsDoNotAddUp() {
        List<AuthState.Permission> all = List.of(new AuthState.Permission(new byte[0], AuthState.Access.READ));
        assertTrue(Permissions.covers(all, KeySelector.prefix(new byte[0]), Permissions.Need.READ));
        assertTrue(Permissions.covers(all, KeySelector.range(b("a"), new byte[0]), Permissions.Need.READ));
        List<AuthState.Permission> two = List.of(new AuthState.Permission(b("a/"), AuthState.Access.READ),
                new AuthState.Permission(b("b/"), AuthState.Access.READ));
        assertFalse(Permissions.covers(two, KeySelector.range(b("a/"), b("b/z")), Permissions.Need.READ));
    }

    @Test
    void prefixEndHandlesTrailingFfBytes() {
        assertEquals("app0", new String(Permissions.prefixEnd(b("app/")), StandardCharsets.UTF_8));
        byte[] ff = {'a', (byte) 0xFF};
        assertEquals(1, Permissions.prefixEnd(ff).length);
        assertEquals('b', Permissions.prefixEnd(ff)[0]);
        assertNull(Permissions.prefixEnd(new byte[] {(byte) 0xFF, (byte) 0xFF}));
        assertTrue(Permissions.covers(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xFF, 1}, null));
    }

    @Test
    void everyCompareAndOpOfATransactionIsChecked() {
        AuthState state = AuthState.EMPTY
                .apply(new io.rafty.kv.AuthChange.Enable("$2b$04$hash", new byte[32]), 1).state()
                .apply(new io.rafty.kv.AuthChange.PutRole("r", List.of(
                        new AuthState.Permission(b("app/"), AuthState.Access.READ),
                        new AuthState.Permission(b("w/"), AuthState.Access.WRITE))), 2).state()
                .apply(new io.rafty.kv.AuthChange.PutUser("alice", "$2b$04$hash", List.of("r")), 3).state();
        AuthState.User alice = state.user("alice");
        Txn allowed = new Txn(List.of(Txn.Compare.value(b("app/x"), Txn.Operator.EQUAL, b("1"))),
                List.of(new Txn.Put(b("w/1"), b("v"), 0, false, false), new Txn.Get(KeySelector.prefix(b("app/")), 10, 0)),
                List.of(new Txn.Delete(KeySelector.prefix(b("w/")))));
        assertNull(Permissions.txnRefusal(state, alice, allowed));
        Txn compareOutside = new Txn(List.of(Txn.Compare.value(b("other/x"), Txn.Operator.EQUAL, b("1"))),
                List.of(), List.of());
        assertNotNull(Permissions.txnRefusal(state, alice, compareOutside));
        Txn putOnRead = new Txn(List.of(), List.of(), List.of(new Txn.Put(b("app/x"), b("v"), 0, false, false)));
        assertTrue(Permissions.txnRefusal(state, alice, putOnRead).contains("failure op 0"));
        Txn wideDelete = new Txn(List.of(), List.of(new Txn.Delete(KeySelector.prefix(b("")))), List.of());
        assertNotNull(Permissions.txnRefusal(state, alice, wideDelete));
        Txn getOnWrite = new Txn(List.of(), List.of(new Txn.Get(KeySelector.key(b("w/1")), 1, 0)), List.of());
        assertNotNull(Permissions.txnRefusal(state, alice, getOnWrite));
        Txn nested = new Txn(List.of(), List.of(new Txn.Nested(compareOutside)), List.of());
        assertNotNull(Permissions.txnRefusal(state, alice, nested));
        assertNull(Permissions.txnRefusal(state, state.user("root"), compareOutside), "root may do everything");
    }
}
