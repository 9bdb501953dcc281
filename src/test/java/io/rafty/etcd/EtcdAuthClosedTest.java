package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.rafty.RaftyNode;
import io.rafty.config.RootPassword;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With auth on, the etcd port needs a token: every method of every service the server registers — walked from
 * {@link EtcdServer#services}, so a service or method added later is covered — answers UNAUTHENTICATED without
 * a token or with a bad one, before any handler runs; the one exception is {@code Auth/Authenticate} (logging
 * in), which refuses a wrong password with etcd's "authentication failed".
 */
class EtcdAuthClosedTest {

    @TempDir
    Path dir;

    @Test
    void everyMethodOfEveryEtcdServiceNeedsATokenWhileAuthIsOn() throws Exception {
        try (EtcdCluster cluster = new EtcdCluster(dir, 1, Map.of("auth", true,
                "authRootPassword", RootPassword.of("root-password-1"), "authBcryptCost", 4))) {
            RaftyNode node = cluster.nodes.get(1);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.stateMachine().authState().enabled());
            EtcdNode etcdNode = new EtcdNode(node.vertx(), node.raft(), node.stateMachine(), node.config(),
                    cluster.addresses, "http://127.0.0.1:" + node.etcdPort(), () -> 0L, 1);
            List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
            for (BindableService service : EtcdServer.services(etcdNode)) {
                for (ServerMethodDefinition<?, ?> method : service.bindService().getMethods()) {
                    methods.add(method.getMethodDescriptor());
                }
            }
            assertTrue(methods.size() >= 20, "walked every service: " + methods.size());
            assertTrue(methods.stream().anyMatch(m -> m.getFullMethodName().equals(EtcdServer.AUTHENTICATE)));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.etcdPort()).usePlaintext().build();
            try {
                for (MethodDescriptor<?, ?> method : methods) {
                    if (method.getFullMethodName().equals(EtcdServer.AUTHENTICATE)) {
                        Status login = call(channel, method, null);
                        assertEquals(Status.Code.INVALID_ARGUMENT, login.getCode(), login.toString());
                        assertEquals(EtcdAuthService.AUTH_FAILED, login.getDescription());
                        continue;
                    }
                    Status without = call(channel, method, null);
                    assertEquals(Status.Code.UNAUTHENTICATED, without.getCode(), method.getFullMethodName());
                    assertEquals("etcdserver: user name is empty", without.getDescription());
                    Status with = call(channel, method, "some-token");
                    assertEquals(Status.Code.UNAUTHENTICATED, with.getCode(), method.getFullMethodName());
                    assertEquals("etcdserver: invalid auth token", with.getDescription());
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** Sends one default request (the method's prototype) and returns how the server closed the call. */
    @SuppressWarnings("unchecked")
    private static <Q, R> Status call(ManagedChannel channel, MethodDescriptor<Q, R> method, String token)
            throws Exception {
        Q request = (Q) ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        ClientCall<Q, R> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(EtcdServer.TOKEN_KEY, token);
        }
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, headers);
        call.request(1);
        call.sendMessage(request);
        call.halfClose();
        return closed.get(15, TimeUnit.SECONDS);
    }
}
