package io.rafty.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 answer written in three parts outside a read of its connection — as every gRPC answer that
 * waited for the Raft loop is — reaches the socket in one flush with {@link CoalescedFlushes}, and in at
 * least one flush per part without it. The flushes are counted by a handler at the head of the server connection's
 * pipeline, where Netty hands them to the socket.
 */
class CoalescedFlushesTest {

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAnswerWrittenOutsideAReadLeavesInOneFlush() throws Exception {
        assertEquals(1, flushesForOneAnswer(true));
    }

    @Test
    void withoutItEachPartIsFlushedOnItsOwn() throws Exception {
        // Vert.x 5.0.7 flushes four times here (the end is a flush of its own); the test needs one per part.
        int flushes = flushesForOneAnswer(false);
        assertTrue(flushes >= 3, "flushes without coalescing: " + flushes);
    }

    /** The flushes that reached the socket between the request's arrival and the end of its answer. */
    private int flushesForOneAnswer(boolean coalesce) throws Exception {
        AtomicInteger socketFlushes = new AtomicInteger();
        AtomicInteger beforeAnswer = new AtomicInteger();
        CompletableFuture<Integer> afterAnswer = new CompletableFuture<>();
        AtomicBoolean installed = new AtomicBoolean();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true))
                .connectionHandler(connection -> {
                    if (coalesce) {
                        installed.set(CoalescedFlushes.install(connection));
                    }
                    ((ConnectionBase) connection).channel().pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
                        @Override
                        public void flush(ChannelHandlerContext ctx) {
                            socketFlushes.incrementAndGet();
                            ctx.flush();
                        }
                    });
                })
                .requestHandler(request -> {
                    // Answer from a timer: outside the read that delivered the request, as a Raft answer is.
                    vertx.setTimer(1, t -> {
                        beforeAnswer.set(socketFlushes.get());
                        request.response().setChunked(true).putHeader("content-type", "application/grpc");
                        request.response().writeHead();
                        request.response().write(Buffer.buffer("message"));
                        // The end's write completes once it has been flushed to the socket.
                        request.response().putTrailer("grpc-status", "0").end()
                                .onComplete(v -> afterAnswer.complete(socketFlushes.get()));
                    });
                });
        int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS).actualPort();
        String body = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                        .setHttp2ClearTextUpgrade(false))
                .request(HttpMethod.POST, port, "127.0.0.1", "/")
                .compose(request -> request.send(Buffer.buffer("ask")))
                .compose(response -> response.body().map(Buffer::toString))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals("message", body);
        assertEquals(coalesce, installed.get(), "installed on an HTTP/2 server connection");
        return afterAnswer.get(10, TimeUnit.SECONDS) - beforeAnswer.get();
    }
}
