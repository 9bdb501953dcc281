package io.rafty.api;

import io.rafty.kv.AuthChange;
import io.rafty.kv.AuthState;
import io.rafty.kv.Command;
import io.rafty.kv.KvResult;
import io.rafty.node.RaftVerticle;
import io.rafty.security.Auth;
import io.rafty.security.Passwords;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The auth API of DESIGN §4: {@code POST /v1/auth/token} (open) and the user and role routes (root only; the
 * gate, {@link AccessControl}, sees to that). Changes are log entries; a password is hashed here, on a worker,
 * before the change is proposed, so that applying it is a copy. No answer carries a password hash, and nothing
 * here logs a password or a token.
 *
 * <p>Logins are slowed per user name and per remote address ({@link io.rafty.security.LoginThrottle}: the delay
 * is a Vert.x timer, never a sleep), at most {@link #MAX_CONCURRENT_LOGINS} are checked at once (bcrypt is slow
 * on purpose), and each failure is counted ({@code rafty_auth_failures_total{kind="login"}}).
 */
final class AuthRoutes {

    static final String TOKEN_PATH = "/v1/auth/token";
    static final String USERS_PATH = "/v1/auth/users";
    static final String ROLES_PATH = "/v1/auth/roles";
    /** bcrypt checks running at once; more logins get 503 overloaded until one ends. */
    static final int MAX_CONCURRENT_LOGINS = 8;

    private static final Logger LOG = Logger.getLogger(AuthRoutes.class.getName());
    private static final Set<String> TOKEN_FIELDS = Set.of("user", "password");
    private static final Set<String> USER_FIELDS = Set.of("password", "roles");
    private static final Set<String> ROLE_FIELDS = Set.of("permissions");
    private static final Set<String> PERMISSION_FIELDS = Set.of("prefix", "access");

    /** What the routes need of the API server around them. */
    interface Plumbing {
        /** Proposes {@code command}; a failure is answered (or relayed to the leader) by the server. */
        void propose(RoutingContext ctx, Command command, Consumer<KvResult> onResult);

        /** Runs {@code read} once linearizable. */
        void afterReadBarrier(RoutingContext ctx, Runnable read);
    }

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final Auth auth;
    private final int maxPrefixBytes;
    private final Plumbing plumbing;
    private final Runnable loginFailed;
    private final AtomicInteger loginsRunning = new AtomicInteger();

    AuthRoutes(Vertx vertx, RaftVerticle raft, Auth auth, int maxPrefixBytes, Plumbing plumbing, Runnable loginFailed) {
        this.vertx = vertx;
        this.raft = raft;
        this.auth = auth;
        this.maxPrefixBytes = maxPrefixBytes;
        this.plumbing = plumbing;
        this.loginFailed = loginFailed;
    }

    // ----- tokens ---------------------------------------------------------------------------------------

    /** {@code POST /v1/auth/token {"user","password"}} → {@code {"token","expiresInS"}}. */
    void token(RoutingContext ctx) {
        JsonObject body = object(ctx.body().buffer(), "{\"user\":\"alice\",\"password\":\"...\"}");
        onlyFields(body, TOKEN_FIELDS, "a login");
        String user = text(body, "user", "a login");
        String password = text(body, "password", "a login");
        if (!auth.enforced()) {
            throw new ApiException(409, "auth_not_enabled", "auth is not enabled on this node (KVSTORE_AUTH); "
                    + "requests need no token");
        }
        if (!auth.state().enabled()) {
            // Configured, but the entry that enables auth has not applied here yet: no user can log in, and a
            // refusal now must not count against root's name.
            throw new ApiException(503, "unavailable", "auth is being enabled on this node; retry shortly",
                    new JsonObject().put("applied", false));
        }
        String address = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
        long delayMs = auth.throttle().delayMs(user, address, auth.nowMs());
        if (delayMs == 0) {
            login(ctx, user, password, address);
        } else {
            vertx.setTimer(delayMs, timer -> login(ctx, user, password, address));
        }
    }

    private void login(RoutingContext ctx, String name, String password, String address) {
        if (loginsRunning.incrementAndGet() > MAX_CONCURRENT_LOGINS) {
            loginsRunning.decrementAndGet();
            ApiVerticle.error(ctx, new ApiException(503, "overloaded", "too many logins are being checked at once; "
                    + "retry shortly", new JsonObject().put("applied", false)));
            return;
        }
        // A read barrier first, so that a user created a moment ago through another node can log in here; when
        // there is no leader the local table answers (it is at most as stale as this node).
        raft.readBarrier().onComplete(barrier -> vertx.executeBlocking(() -> {
            AuthState table = auth.state();
            AuthState.User user = table.user(name);
            boolean matches = auth.passwords().verify(user == null ? null : user.passwordHash(), password);
            return matches && table.enabled() ? auth.mint(table, user) : null;
        }, false).onComplete(ar -> {
            loginsRunning.decrementAndGet();
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            if (ar.result() == null) {
                auth.throttle().failed(name, address, auth.nowMs());
                loginFailed.run();
                LOG.fine(() -> "failed login for a user name from " + address);
                ApiVerticle.error(ctx, AccessControl.unauthenticated("wrong user name or password"));
                return;
            }
            auth.throttle().succeeded(name, address);
            ApiVerticle.json(ctx, 200, new JsonObject().put("token", ar.result())
                    .put("expiresInS", auth.settings().tokenTtlS()));
        }));
    }

    // ----- users -----------------------------------------------------------------------------------------

    /** {@code PUT /v1/auth/users/{name} {"password","roles"}}: creates or changes a user (root only). */
    void putUser(RoutingContext ctx) {
        String name = name(ctx, "user");
        JsonObject body = object(ctx.body().buffer(), "{\"password\":\"...\",\"roles\":[\"app-reader\"]}");
        onlyFields(body, USER_FIELDS, "a user");
        String password = null;
        if (body.containsKey("password")) {
            password = text(body, "password", "a user");
            String problem = Passwords.problem(password);
            if (problem != null) {
                throw ApiException.badRequest(problem);
            }
        }
        List<String> roles = null;
        if (body.containsKey("roles")) {
            if (!(body.getValue("roles") instanceof JsonArray array)) {
                throw ApiException.badRequest("\"roles\" must be an array of role names");
            }
            if (array.size() > AuthState.MAX_ROLES_PER_USER) {
                throw ApiException.badRequest("a user holds at most " + AuthState.MAX_ROLES_PER_USER + " roles");
            }
            roles = new ArrayList<>();
            for (Object role : array) {
                String problem = role instanceof String text ? AuthState.nameProblem("role", text)
                        : "\"roles\" must be an array of role names";
                if (problem != null) {
                    throw ApiException.badRequest(problem);
                }
                roles.add((String) role);
            }
        }
        if (password == null && roles == null) {
            throw ApiException.badRequest("give \"password\", \"roles\" or both");
        }
        List<String> finalRoles = roles;
        if (password == null) {
            propose(ctx, new AuthChange.PutUser(name, null, finalRoles), name);
            return;
        }
        String plain = password;
        vertx.executeBlocking(() -> auth.passwords().hash(plain), false).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
            } else {
                propose(ctx, new AuthChange.PutUser(name, ar.result(), finalRoles), name);
            }
        });
    }

    void getUser(RoutingContext ctx) {
        String name = name(ctx, "user");
        plumbing.afterReadBarrier(ctx, () -> {
            AuthState.User user = auth.state().user(name);
            if (user == null) {
                ApiVerticle.error(ctx, new ApiException(404, "user_not_found", "user not found: " + name));
            } else {
                ApiVerticle.json(ctx, 200, user(user));
            }
        });
    }

    void listUsers(RoutingContext ctx) {
        plumbing.afterReadBarrier(ctx, () -> {
            JsonArray users = new JsonArray();
            auth.state().users().values().forEach(user -> users.add(user(user)));
            ApiVerticle.json(ctx, 200, new JsonObject().put("users", users));
        });
    }

    void deleteUser(RoutingContext ctx) {
        String name = name(ctx, "user");
        propose(ctx, new AuthChange.DeleteUser(name), name);
    }

    private static JsonObject user(AuthState.User user) {
        // Never the hash.
        return new JsonObject().put("name", user.name()).put("roles", new JsonArray(new ArrayList<>(user.roles())));
    }

    // ----- roles -----------------------------------------------------------------------------------------

    /** {@code PUT /v1/auth/roles/{name} {"permissions":[{"prefix","access"}]}} (root only). */
    void putRole(RoutingContext ctx) {
        String name = name(ctx, "role");
        if (name.equals(AuthState.ROOT)) {
            throw ApiException.badRequest("the role root is built in and cannot be changed");
        }
        JsonObject body = object(ctx.body().buffer(), "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}");
        onlyFields(body, ROLE_FIELDS, "a role");
        if (!(body.getValue("permissions") instanceof JsonArray array)) {
            throw ApiException.badRequest("a role is {\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}");
        }
        if (array.size() > AuthState.MAX_PERMISSIONS_PER_ROLE) {
            throw ApiException.badRequest("a role holds at most " + AuthState.MAX_PERMISSIONS_PER_ROLE + " permissions");
        }
        List<AuthState.Permission> permissions = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String where = "permissions[" + i + "]";
            if (!(array.getValue(i) instanceof JsonObject permission)) {
                throw ApiException.badRequest(where + " must be {\"prefix\":\"app/\",\"access\":\"read\"}");
            }
            onlyFields(permission, PERMISSION_FIELDS, where);
            if (!(permission.getValue("prefix") instanceof String prefix)) {
                throw ApiException.badRequest(where + ": \"prefix\" must be a string (\"\" for every key)");
            }
            byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > maxPrefixBytes) {
                throw ApiException.badRequest(where + ": the prefix is " + bytes.length + " bytes; the limit is "
                        + maxPrefixBytes);
            }
            AuthState.Access access = access(permission.getValue("access"), where);
            permissions.add(new AuthState.Permission(bytes, access));
        }
        propose(ctx, new AuthChange.PutRole(name, permissions), name);
    }

    void getRole(RoutingContext ctx) {
        String name = name(ctx, "role");
        plumbing.afterReadBarrier(ctx, () -> {
            if (name.equals(AuthState.ROOT)) {
                ApiVerticle.json(ctx, 200, new JsonObject().put("name", AuthState.ROOT).put("builtIn", true)
                        .put("permissions", new JsonArray().add(new JsonObject().put("prefix", "")
                                .put("access", "readwrite"))));
                return;
            }
            AuthState.Role role = auth.state().role(name);
            if (role == null) {
                ApiVerticle.error(ctx, new ApiException(404, "role_not_found", "role not found: " + name));
            } else {
                ApiVerticle.json(ctx, 200, role(role));
            }
        });
    }

    void listRoles(RoutingContext ctx) {
        plumbing.afterReadBarrier(ctx, () -> {
            JsonArray roles = new JsonArray();
            auth.state().roles().values().forEach(role -> roles.add(role(role)));
            ApiVerticle.json(ctx, 200, new JsonObject().put("roles", roles));
        });
    }

    void deleteRole(RoutingContext ctx) {
        String name = name(ctx, "role");
        propose(ctx, new AuthChange.DeleteRole(name), name);
    }

    private static JsonObject role(AuthState.Role role) {
        JsonArray permissions = new JsonArray();
        for (AuthState.Permission permission : role.permissions()) {
            permissions.add(new JsonObject().put("prefix", new String(permission.prefix(), StandardCharsets.UTF_8))
                    .put("access", permission.access().display()));
        }
        return new JsonObject().put("name", role.name()).put("permissions", permissions);
    }

    private static AuthState.Access access(Object value, String where) {
        if (value instanceof String text) {
            switch (text) {
                case "read":
                    return AuthState.Access.READ;
                case "write":
                    return AuthState.Access.WRITE;
                case "readwrite":
                    return AuthState.Access.READWRITE;
                default:
                    break;
            }
        }
        throw ApiException.badRequest(where + ": \"access\" must be \"read\", \"write\" or \"readwrite\"");
    }

    // ----- common ----------------------------------------------------------------------------------------

    private void propose(RoutingContext ctx, AuthChange change, String name) {
        plumbing.propose(ctx, new Command.Auth(change), result -> {
            if (!(result instanceof KvResult.AuthChanged changed)) {
                ctx.fail(new IllegalStateException("an auth change was answered with " + result.kind()));
                return;
            }
            if (changed.error() == null) {
                ApiVerticle.json(ctx, 200, new JsonObject().put("name", name).put("revision", changed.index()));
                return;
            }
            int status = switch (changed.error()) {
                case "user_not_found", "role_not_found" -> 404;
                default -> 400;
            };
            ApiVerticle.error(ctx, new ApiException(status, changed.error(), changed.message()));
        });
    }

    private static String name(RoutingContext ctx, String what) {
        String name = ctx.pathParam("name");
        String problem = AuthState.nameProblem(what, name);
        if (problem != null) {
            throw ApiException.badRequest(problem);
        }
        return name;
    }

    private static JsonObject object(Buffer body, String example) {
        if (body == null || body.length() == 0) {
            throw ApiException.badRequest("the body must be a JSON object such as " + example);
        }
        try {
            return new JsonObject(body);
        } catch (RuntimeException e) {
            // Not JSON: answered below, without echoing the body (it may hold a password).
        }
        throw ApiException.badRequest("the body must be a JSON object such as " + example);
    }

    private static void onlyFields(JsonObject body, Set<String> allowed, String what) {
        for (String field : body.fieldNames()) {
            if (!allowed.contains(field)) {
                throw ApiException.badRequest("unknown field \"" + (field.length() > 64 ? field.substring(0, 64) : field)
                        + "\" in " + what + "; expected " + allowed);
            }
        }
    }

    private static String text(JsonObject body, String field, String what) {
        if (!(body.getValue(field) instanceof String text) || text.isEmpty()) {
            throw ApiException.badRequest(what + " needs \"" + field + "\", a non-empty string");
        }
        return text;
    }
}
