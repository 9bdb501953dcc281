package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The watchers' HTTP clients live as long as the watchers: Vert.x 5 closes a client that nothing refers to
 * any more, and with it every stream on it, at the first garbage collection.
 */
class WatchFanOutClientsTest {

    private static final int WATCHERS = 4;
    private static final int TICKS_AFTER_GC = 20;

    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger closedByClients = new AtomicInteger();
    private final AtomicBoolean collected = new AtomicBoolean();
    private final CountDownLatch ticksAfterGc = new CountDownLatch(WATCHERS * TICKS_AFTER_GC);

    /** A watch endpoint that creates every stream, then sends only keepalive comments: a prefix nobody writes. */
    @BeforeEach
    void idleWatchServer() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> {
            request.response().setChunked(true).putHeader("content-type", "text/event-stream")
                    .write("event: created\ndata: {\"revision\":1}\n\n");
            long timer = vertx.setPeriodic(50, id -> request.response().write(": keepalive\n\n").onSuccess(v -> {
                if (collected.get()) {
                    ticksAfterGc.countDown();
                }
            }));
            request.connection().closeHandler(v -> {
                vertx.cancelTimer(timer);
                closedByClients.incrementAndGet();
            });
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void idleWatchersOutliveAGarbageCollection() throws Exception {
        BenchCommand command = new BenchCommand();
        new CommandLine(command).parseArgs("--endpoints", "http://127.0.0.1:" + server.actualPort(),
                "--workload", "put", "--watchers", Integer.toString(WATCHERS), "--watch-prefix", "other/");
        BenchSettings settings = command.validate();
        WatchFanOut fanOut = new WatchFanOut(settings, List.of(vertx.getOrCreateContext()), new WriteLedger(1),
                new Recorder(60_000_000L, 3), 60_000_000L);
        StringWriter printed = new StringWriter();
        assertTrue(fanOut.open(new PrintWriter(printed, true)), printed.toString());

        collected.set(true);
        System.gc();
        System.gc();
        assertTrue(ticksAfterGc.await(30, TimeUnit.SECONDS), "the streams were written to after the collection");

        assertEquals(0, closedByClients.get(), "connections the generator closed");
        WatchFanOut.Totals totals = fanOut.totals(0);
        assertEquals(WATCHERS, totals.started());
        assertEquals(0, totals.ended(), "streams ended: " + totals.endReasons());
    }
}
