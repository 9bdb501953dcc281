package io.rafty.etcd;

import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.AuthenticateResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.rafty.kv.AuthState;
import io.rafty.security.Auth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * etcd's Auth service, as far as clients need it to log in: {@code Authenticate} checks a user's password (bcrypt,
 * on a worker, slowed per user name after failures as the HTTP login is) and answers a Rafty token, which etcd
 * clients (jetcd, etcdctl {@code --user}) then send in the {@code token} metadata. Users and roles are managed
 * through the HTTP API; the other Auth RPCs (AuthEnable, UserAdd, RoleGrantPermission, …) answer UNIMPLEMENTED.
 */
final class EtcdAuthService extends AuthGrpc.AuthImplBase {

    /** etcd's ErrGRPCAuthFailed. */
    static final String AUTH_FAILED = "etcdserver: authentication failed, invalid user ID or password";
    /** etcd's ErrGRPCAuthNotEnabled. */
    static final String NOT_ENABLED = "etcdserver: authentication is not enabled";
    /** The throttle's address for etcd logins: the gRPC bridge does not tell the peer's address. */
    private static final String ADDRESS = "etcd-port";

    private final EtcdNode node;
    private final Auth auth;
    private final EtcdHeaders headers;

    EtcdAuthService(EtcdNode node, Auth auth) {
        this.node = node;
        this.auth = auth;
        this.headers = node.headers();
    }

    @Override
    public void authenticate(AuthenticateRequest request, StreamObserver<AuthenticateResponse> observer) {
        Calls.unary("Authenticate", observer, () -> {
            if (!auth.enforced() || !auth.state().enabled()) {
                throw Status.FAILED_PRECONDITION.withDescription(NOT_ENABLED).asRuntimeException();
            }
            String name = request.getName();
            String password = request.getPassword();
            Vertx vertx = node.vertx();
            long delayMs = auth.throttle().delayMs(name, ADDRESS, auth.nowMs());
            Future<Void> waited = delayMs == 0 ? Future.succeededFuture()
                    : Future.future(promise -> vertx.setTimer(delayMs, id -> promise.complete()));
            return waited.compose(ignored -> vertx.executeBlocking(() -> {
                AuthState table = auth.state();
                AuthState.User user = table.user(name);
                boolean matches = auth.passwords().verify(user == null ? null : user.passwordHash(), password);
                return matches ? auth.mint(table, user) : null;
            }, false)).map(token -> {
                if (token == null) {
                    auth.throttle().failed(name, ADDRESS, auth.nowMs());
                    throw Status.INVALID_ARGUMENT.withDescription(AUTH_FAILED).asRuntimeException();
                }
                auth.throttle().succeeded(name, ADDRESS);
                return AuthenticateResponse.newBuilder().setHeader(headers.at(node.stateMachine().appliedIndex()))
                        .setToken(token).build();
            });
        });
    }
}
