package io.rafty.kv;

import java.util.List;
import java.util.Objects;

/**
 * A change of the auth table ({@link AuthState}), carried by {@link Command.Auth}. Whatever is slow or random —
 * the password hash, the signing key — is computed by the node that proposes the change and carried here, so
 * applying it is deterministic on every node.
 */
public sealed interface AuthChange permits AuthChange.Enable, AuthChange.PutUser, AuthChange.DeleteUser,
        AuthChange.PutRole, AuthChange.DeleteRole {

    /** Every kind of change, for exhaustive switches. */
    enum Kind { ENABLE, PUT_USER, DELETE_USER, PUT_ROLE, DELETE_ROLE }

    Kind kind();

    /**
     * Turns auth on: the user root with {@code rootPasswordHash} unless one exists, and {@code signingKey} as the
     * token key unless one exists (so proposing it again, from any node, changes nothing that matters).
     */
    record Enable(String rootPasswordHash, byte[] signingKey) implements AuthChange {
        public Enable {
            Objects.requireNonNull(rootPasswordHash, "rootPasswordHash");
            Objects.requireNonNull(signingKey, "signingKey");
        }

        @Override
        public Kind kind() {
            return Kind.ENABLE;
        }

        @Override
        public String toString() {
            return "Enable[redacted]";
        }
    }

    /**
     * Creates or replaces user {@code name}: {@code passwordHash} null keeps the password (a new user needs one),
     * {@code roles} null keeps the roles.
     */
    record PutUser(String name, String passwordHash, List<String> roles) implements AuthChange {
        public PutUser {
            Objects.requireNonNull(name, "name");
            roles = roles == null ? null : List.copyOf(roles);
        }

        @Override
        public Kind kind() {
            return Kind.PUT_USER;
        }

        @Override
        public String toString() {
            return "PutUser[" + name + ", roles=" + roles + "]";
        }
    }

    record DeleteUser(String name) implements AuthChange {
        @Override
        public Kind kind() {
            return Kind.DELETE_USER;
        }
    }

    /** Creates or replaces role {@code name} with exactly {@code permissions}. */
    record PutRole(String name, List<AuthState.Permission> permissions) implements AuthChange {
        public PutRole {
            Objects.requireNonNull(name, "name");
            permissions = List.copyOf(permissions);
        }

        @Override
        public Kind kind() {
            return Kind.PUT_ROLE;
        }
    }

    record DeleteRole(String name) implements AuthChange {
        @Override
        public Kind kind() {
            return Kind.DELETE_ROLE;
        }
    }
}
