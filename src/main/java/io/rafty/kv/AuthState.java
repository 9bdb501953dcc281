package io.rafty.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The replicated auth table (DESIGN §3 "auth"): whether auth is enabled, the key every node signs and checks
 * tokens with, the users (name, password hash, roles, and the revision their password was last set at) and the
 * roles (key-prefix permissions). Immutable: {@link #apply} returns the next state, so the apply worker swaps one
 * reference and the event loop reads a whole table, never half of a change.
 *
 * <p>Deterministic and fast, as everything applied must be: the password hash and the signing key are chosen by
 * the node that proposes the change and carried in the command ({@link AuthChange}), never computed here.
 *
 * <p>The role {@value #ROOT} is built in: it is never stored, may do everything, and cannot be defined or
 * deleted; the user {@value #ROOT} is created by {@link AuthChange.Enable} and cannot be deleted or lose it.
 */
public final class AuthState {

    /** The built-in role that may do everything, and the user that auth starts with. */
    public static final String ROOT = "root";
    /** User and role names: 1–64 characters of letters, digits, {@code . _ - @}. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    /** The most roles one user holds, permissions one role holds, users and roles in all. */
    public static final int MAX_ROLES_PER_USER = 64;
    public static final int MAX_PERMISSIONS_PER_ROLE = 256;
    public static final int MAX_USERS = 10_000;
    public static final int MAX_ROLES = 10_000;
    /** The longest permission prefix, in bytes (a key is at most this long by default). */
    public static final int MAX_PREFIX_BYTES = 1024;

    private static final byte FORMAT = 1;

    /** No auth: what a store holds until auth is first enabled. */
    public static final AuthState EMPTY = new AuthState(false, new byte[0], new TreeMap<>(), new TreeMap<>());

    /** Read, write, or both, on the keys a prefix starts. */
    public enum Access {
        READ, WRITE, READWRITE;

        public boolean allows(Access wanted) {
            return this == READWRITE || this == wanted;
        }

        /** The lower-case name the API uses ({@code read}, {@code write}, {@code readwrite}). */
        public String display() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@code access} on every key that starts with {@code prefix} (the empty prefix: every key). */
    public record Permission(byte[] prefix, Access access) {
        public Permission {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(access, "access");
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Permission p && Arrays.equals(prefix, p.prefix) && access == p.access;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(prefix) * 31 + access.hashCode();
        }
    }

    /**
     * A user. {@code passwordRevision} is the revision (log index) its password was last set at: tokens carry it,
     * so a password change or a deletion (and a re-creation) makes every older token useless.
     */
    public record User(String name, String passwordHash, List<String> roles, long passwordRevision) {
        public User {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(passwordHash, "passwordHash");
            roles = List.copyOf(roles);
        }

        public boolean isRoot() {
            return roles.contains(ROOT);
        }

        @Override
        public String toString() {
            // Never the hash: a record's toString ends up in logs and assertion messages.
            return "User[" + name + ", roles=" + roles + ", passwordRevision=" + passwordRevision + "]";
        }
    }

    /** A role and its permissions. */
    public record Role(String name, List<Permission> permissions) {
        public Role {
            Objects.requireNonNull(name, "name");
            permissions = List.copyOf(permissions);
        }
    }

    /** What applying a change did: the next state, or why it was refused (the state unchanged). */
    public record Outcome(AuthState state, String error, String message) {
        public boolean applied() {
            return error == null;
        }
    }

    private final boolean enabled;
    private final byte[] signingKey;
    private final SortedMap<String, User> users;
    private final SortedMap<String, Role> roles;

    private AuthState(boolean enabled, byte[] signingKey, SortedMap<String, User> users, SortedMap<String, Role> roles) {
        this.enabled = enabled;
        this.signingKey = signingKey;
        this.users = Collections.unmodifiableSortedMap(users);
        this.roles = Collections.unmodifiableSortedMap(roles);
    }

    public boolean enabled() {
        return enabled;
    }

    /** The token signing key (a copy); empty until auth is enabled. */
    public byte[] signingKey() {
        return signingKey.clone();
    }

    public User user(String name) {
        return users.get(name);
    }

    public Role role(String name) {
        return roles.get(name);
    }

    public SortedMap<String, User> users() {
        return users;
    }

    public SortedMap<String, Role> roles() {
        return roles;
    }

    /** Every permission {@code user} holds through its roles (empty for a root user, who needs none). */
    public List<Permission> permissions(User user) {
        List<Permission> all = new ArrayList<>();
        for (String name : user.roles()) {
            Role role = roles.get(name);
            if (role != null) {
                all.addAll(role.permissions());
            }
        }
        return all;
    }

    /** Applies {@code change} at log index {@code index}. */
    public Outcome apply(AuthChange change, long index) {
        return switch (change.kind()) {
            case ENABLE -> enable((AuthChange.Enable) change, index);
            case PUT_USER -> putUser((AuthChange.PutUser) change, index);
            case DELETE_USER -> deleteUser(((AuthChange.DeleteUser) change).name());
            case PUT_ROLE -> putRole((AuthChange.PutRole) change);
            case DELETE_ROLE -> deleteRole(((AuthChange.DeleteRole) change).name());
        };
    }

    /** Turns auth on; creates the root user when there is none and the signing key when there is none. */
    private Outcome enable(AuthChange.Enable enable, long index) {
        TreeMap<String, User> nextUsers = new TreeMap<>(users);
        if (!users.containsKey(ROOT)) {
            nextUsers.put(ROOT, new User(ROOT, enable.rootPasswordHash(), List.of(ROOT), index));
        }
        byte[] key = signingKey.length > 0 ? signingKey : enable.signingKey().clone();
        return ok(new AuthState(true, key, nextUsers, new TreeMap<>(roles)));
    }

    private Outcome putUser(AuthChange.PutUser put, long index) {
        String problem = nameProblem("user", put.name());
        if (problem != null) {
            return refused("bad_request", problem);
        }
        User existing = users.get(put.name());
        if (existing == null && put.passwordHash() == null) {
            return refused("bad_request", "a new user needs a password");
        }
        List<String> nextRoles = put.roles() == null ? (existing == null ? List.of() : existing.roles()) : put.roles();
        if (nextRoles.size() > MAX_ROLES_PER_USER) {
            return refused("bad_request", "a user holds at most " + MAX_ROLES_PER_USER + " roles");
        }
        for (String role : nextRoles) {
            if (!role.equals(ROOT) && !roles.containsKey(role)) {
                return refused("role_not_found", "role not found: " + role);
            }
        }
        if (put.name().equals(ROOT) && !nextRoles.contains(ROOT)) {
            return refused("bad_request", "the user root cannot lose the role root");
        }
        if (existing == null && users.size() >= MAX_USERS) {
            return refused("bad_request", "there are already " + MAX_USERS + " users");
        }
        String hash = put.passwordHash() == null ? existing.passwordHash() : put.passwordHash();
        long revision = put.passwordHash() == null ? existing.passwordRevision() : index;
        TreeMap<String, User> nextUsers = new TreeMap<>(users);
        nextUsers.put(put.name(), new User(put.name(), hash, List.copyOf(new java.util.LinkedHashSet<>(nextRoles)),
                revision));
        return ok(new AuthState(enabled, signingKey, nextUsers, new TreeMap<>(roles)));
    }

    private Outcome deleteUser(String name) {
        if (!users.containsKey(name)) {
            return refused("user_not_found", "user not found: " + name);
        }
        if (name.equals(ROOT)) {
            return refused("bad_request", "the user root cannot be deleted");
        }
        TreeMap<String, User> nextUsers = new TreeMap<>(users);
        nextUsers.remove(name);
        return ok(new AuthState(enabled, signingKey, nextUsers, new TreeMap<>(roles)));
    }

    private Outcome putRole(AuthChange.PutRole put) {
        String problem = nameProblem("role", put.name());
        if (problem != null) {
            return refused("bad_request", problem);
        }
        if (put.name().equals(ROOT)) {
            return refused("bad_request", "the role root is built in and cannot be changed");
        }
        if (put.permissions().size() > MAX_PERMISSIONS_PER_ROLE) {
            return refused("bad_request", "a role holds at most " + MAX_PERMISSIONS_PER_ROLE + " permissions");
        }
        if (!roles.containsKey(put.name()) && roles.size() >= MAX_ROLES) {
            return refused("bad_request", "there are already " + MAX_ROLES + " roles");
        }
        TreeMap<String, Role> nextRoles = new TreeMap<>(roles);
        nextRoles.put(put.name(), new Role(put.name(), put.permissions()));
        return ok(new AuthState(enabled, signingKey, new TreeMap<>(users), nextRoles));
    }

    /** Deletes a role and takes it from every user that held it (as etcd does). */
    private Outcome deleteRole(String name) {
        if (name.equals(ROOT)) {
            return refused("bad_request", "the role root is built in and cannot be deleted");
        }
        if (!roles.containsKey(name)) {
            return refused("role_not_found", "role not found: " + name);
        }
        TreeMap<String, Role> nextRoles = new TreeMap<>(roles);
        nextRoles.remove(name);
        TreeMap<String, User> nextUsers = new TreeMap<>();
        for (User user : users.values()) {
            List<String> kept = user.roles().stream().filter(role -> !role.equals(name)).toList();
            nextUsers.put(user.name(), new User(user.name(), user.passwordHash(), kept, user.passwordRevision()));
        }
        return ok(new AuthState(enabled, signingKey, nextUsers, nextRoles));
    }

    /** Why {@code name} is not a valid user or role name, or null. */
    public static String nameProblem(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return "a " + what + " name must be 1-64 characters of letters, digits, '.', '_', '-' or '@'";
        }
        return null;
    }

    private static Outcome ok(AuthState next) {
        return new Outcome(next, null, null);
    }

    private Outcome refused(String error, String message) {
        return new Outcome(this, error, message);
    }

    // ----- encoding: stored in the state machine and carried in snapshots ------------------------------------

    /**
     * The stored form: u8 format (1), u8 enabled, bytes signing key, i32 users then each (string name, string hash,
     * i64 password revision, i32 roles then each string), i32 roles then each (string name, i32 permissions then
     * each: bytes prefix, u8 access ordinal). A string is bytes of UTF-8; bytes are an i32 length and the bytes.
     */
    public byte[] encode() {
        ByteWriter out = new ByteWriter();
        {
            out.writeByte(FORMAT);
            out.writeByte(enabled ? 1 : 0);
            out.writeBytes(signingKey);
            out.writeInt(users.size());
            for (User user : users.values()) {
                out.writeString(user.name());
                out.writeString(user.passwordHash());
                out.writeLong(user.passwordRevision());
                out.writeInt(user.roles().size());
                for (String role : user.roles()) {
                    out.writeString(role);
                }
            }
            out.writeInt(roles.size());
            for (Role role : roles.values()) {
                out.writeString(role.name());
                out.writeInt(role.permissions().size());
                for (Permission permission : role.permissions()) {
                    out.writeBytes(permission.prefix());
                    out.writeByte(permission.access().ordinal());
                }
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes {@link #encode}'s bytes.
     *
     * @throws IllegalArgumentException when they are malformed
     */
    public static AuthState decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (in.get() != FORMAT) {
                throw new IllegalArgumentException("unknown auth table format");
            }
            boolean enabled = in.get() == 1;
            byte[] key = readBytes(in);
            TreeMap<String, User> users = new TreeMap<>();
            int userCount = count(in);
            for (int i = 0; i < userCount; i++) {
                String name = readString(in);
                String hash = readString(in);
                long revision = in.getLong();
                int roleCount = count(in);
                List<String> roles = new ArrayList<>(roleCount);
                for (int j = 0; j < roleCount; j++) {
                    roles.add(readString(in));
                }
                users.put(name, new User(name, hash, roles, revision));
            }
            TreeMap<String, Role> roles = new TreeMap<>();
            int roleCount = count(in);
            for (int i = 0; i < roleCount; i++) {
                String name = readString(in);
                int permissionCount = count(in);
                List<Permission> permissions = new ArrayList<>(permissionCount);
                for (int j = 0; j < permissionCount; j++) {
                    byte[] prefix = readBytes(in);
                    int access = in.get();
                    if (access < 0 || access >= Access.values().length) {
                        throw new IllegalArgumentException("unknown access " + access);
                    }
                    permissions.add(new Permission(prefix, Access.values()[access]));
                }
                roles.put(name, new Role(name, permissions));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " trailing bytes");
            }
            return new AuthState(enabled, key, users, roles);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated auth table", e);
        }
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > in.remaining()) {
            throw new IllegalArgumentException("malformed auth table: count " + count);
        }
        return count;
    }

    private static byte[] readBytes(ByteBuffer in) {
        int length = count(in);
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static String readString(ByteBuffer in) {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AuthState state && Arrays.equals(encode(), state.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "AuthState[enabled=" + enabled + ", users=" + users.keySet() + ", roles=" + roles.keySet() + "]";
    }
}
