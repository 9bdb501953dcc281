package io.rafty.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The log form of an {@link AuthChange} (command type 10; the layout is in {@link CommandCodec}'s comment). */
final class AuthCodec {

    private static final byte ENABLE = 1;
    private static final byte PUT_USER = 2;
    private static final byte DELETE_USER = 3;
    private static final byte PUT_ROLE = 4;
    private static final byte DELETE_ROLE = 5;
    private static final int HAS_HASH = 1;
    private static final int HAS_ROLES = 2;

    private AuthCodec() {
    }

    static byte[] encode(AuthChange change) {
        ByteWriter out = new ByteWriter();
        {
            out.writeByte(CommandCodec.FORMAT_VERSION);
            out.writeByte(CommandCodec.TYPE_AUTH);
            switch (change.kind()) {
                case ENABLE -> {
                    AuthChange.Enable enable = (AuthChange.Enable) change;
                    out.writeByte(ENABLE);
                    out.writeString(enable.rootPasswordHash());
                    out.writeBytes(enable.signingKey());
                }
                case PUT_USER -> {
                    AuthChange.PutUser put = (AuthChange.PutUser) change;
                    out.writeByte(PUT_USER);
                    out.writeString(put.name());
                    out.writeByte((put.passwordHash() != null ? HAS_HASH : 0) | (put.roles() != null ? HAS_ROLES : 0));
                    if (put.passwordHash() != null) {
                        out.writeString(put.passwordHash());
                    }
                    if (put.roles() != null) {
                        out.writeInt(put.roles().size());
                        for (String role : put.roles()) {
                            out.writeString(role);
                        }
                    }
                }
                case DELETE_USER -> {
                    out.writeByte(DELETE_USER);
                    out.writeString(((AuthChange.DeleteUser) change).name());
                }
                case PUT_ROLE -> {
                    AuthChange.PutRole put = (AuthChange.PutRole) change;
                    out.writeByte(PUT_ROLE);
                    out.writeString(put.name());
                    out.writeInt(put.permissions().size());
                    for (AuthState.Permission permission : put.permissions()) {
                        out.writeBytes(permission.prefix());
                        out.writeByte(permission.access().ordinal());
                    }
                }
                case DELETE_ROLE -> {
                    out.writeByte(DELETE_ROLE);
                    out.writeString(((AuthChange.DeleteRole) change).name());
                }
            }
        }
        return out.toByteArray();
    }

    /** Decodes the change after the two header bytes; underflow is the caller's to turn into a clear error. */
    static AuthChange decode(ByteBuffer buffer) {
        byte kind = buffer.get();
        switch (kind) {
            case ENABLE:
                return new AuthChange.Enable(string(buffer, "root password hash"),
                        CommandCodec.getBytes(buffer, "signing key"));
            case PUT_USER: {
                String name = string(buffer, "user name");
                int flags = buffer.get();
                if ((flags & ~(HAS_HASH | HAS_ROLES)) != 0) {
                    throw new IllegalArgumentException("malformed command: unknown put-user flags " + flags);
                }
                String hash = (flags & HAS_HASH) != 0 ? string(buffer, "password hash") : null;
                List<String> roles = null;
                if ((flags & HAS_ROLES) != 0) {
                    int count = count(buffer);
                    roles = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        roles.add(string(buffer, "role"));
                    }
                }
                return new AuthChange.PutUser(name, hash, roles);
            }
            case DELETE_USER:
                return new AuthChange.DeleteUser(string(buffer, "user name"));
            case PUT_ROLE: {
                String name = string(buffer, "role name");
                int count = count(buffer);
                List<AuthState.Permission> permissions = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    byte[] prefix = CommandCodec.getBytes(buffer, "permission prefix");
                    int access = buffer.get();
                    if (access < 0 || access >= AuthState.Access.values().length) {
                        throw new IllegalArgumentException("malformed command: unknown access " + access);
                    }
                    permissions.add(new AuthState.Permission(prefix, AuthState.Access.values()[access]));
                }
                return new AuthChange.PutRole(name, permissions);
            }
            case DELETE_ROLE:
                return new AuthChange.DeleteRole(string(buffer, "role name"));
            default:
                throw new IllegalArgumentException("malformed command: unknown auth change " + kind);
        }
    }

    private static int count(ByteBuffer buffer) {
        int count = buffer.getInt();
        if (count < 0 || count > buffer.remaining()) {
            throw new IllegalArgumentException("malformed command: count " + count);
        }
        return count;
    }

    private static String string(ByteBuffer buffer, String field) {
        return new String(CommandCodec.getBytes(buffer, field), StandardCharsets.UTF_8);
    }

}
