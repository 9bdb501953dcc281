package io.rafty.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.VertxOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under a write and read load, no Vert.x event loop is ever blocked: the blocked-thread checker runs
 * every 20 ms with a 100 ms limit, and its log stays empty.
 */
class EventLoopBlockingTest {

    private static final int CONCURRENT_REQUESTS = 64;
    private static final int ROUNDS = 15;

    @TempDir
    Path dir;

    /**
     * Whether the blocked thread was caught inside Rafty, RocksDB or file I/O. A warning whose stack
     * shows the event loop idle in its selector means the thread was starved of CPU (2 cores, three
     * nodes and a load generator), not blocked by a task, and says nothing about our code.
     */
    private static boolean blockedInRaftyOrIo(LogRecord record) {
        if (record.getThrown() == null) {
            return true;
        }
        for (StackTraceElement frame : record.getThrown().getStackTrace()) {
            String name = frame.getClassName();
            if (name.startsWith("io.rafty.") || name.startsWith("org.rocksdb.") || name.startsWith("java.io.")
                    || name.startsWith("sun.nio.fs.") || name.startsWith("sun.nio.ch.FileChannelImpl")
                    || name.equals("java.lang.Thread") && frame.getMethodName().equals("sleep")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(LogRecord record) {
        StringBuilder out = new StringBuilder(record.getMessage());
        if (record.getThrown() != null) {
            for (StackTraceElement frame : record.getThrown().getStackTrace()) {
                out.append("\n    at ").append(frame);
            }
        }
        return out.toString();
    }

    @Test
    void noBlockedThreadWarningsUnderLoad() throws Exception {
        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Logger checker = Logger.getLogger("io.vertx.core.impl.BlockedThreadChecker");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        VertxOptions strict = new VertxOptions()
                .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(100).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
        try (TestCluster cluster = new TestCluster(dir, 3, strict)) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            int follower = cluster.anyFollower(leader);
            // One unobserved round first: the JVM's one-time class initialisation on first use (Netty
            // registers its JFR event types on its first buffer chunk, for instance) is not the event
            // loop waiting on I/O, which is what this test is about.
            for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
                cluster.put(i % 2 == 0 ? leader : follower, "warmup-" + i, "w");
                cluster.get(i % 2 == 0 ? follower : leader, "/v1/kv/warmup-" + i);
            }
            checker.addHandler(capture);
            int ok = 0;
            List<String> failures = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
                    int node = i % 2 == 0 ? leader : follower;
                    String uri = cluster.url(node) + "/v1/kv/load-" + (i % 16);
                    HttpRequest request = i % 4 == 3
                            ? HttpRequest.newBuilder(URI.create(uri)).GET().build()
                            : HttpRequest.newBuilder(URI.create(uri))
                                    .PUT(HttpRequest.BodyPublishers.ofString("v" + round)).build();
                    inFlight.add(cluster.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> response : inFlight) {
                    HttpResponse<String> answer = response.get(20, TimeUnit.SECONDS);
                    int status = answer.statusCode();
                    if (status == 200 || status == 404) {
                        ok++;
                    } else {
                        failures.add(status + " " + answer.body());
                    }
                }
            }
            assertEquals(ROUNDS * CONCURRENT_REQUESTS, ok, "every request answered: " + failures.stream().limit(5).toList());
        } finally {
            checker.removeHandler(capture);
        }
        List<LogRecord> blockedInOurCode = warnings.stream().filter(EventLoopBlockingTest::blockedInRaftyOrIo).toList();
        assertTrue(blockedInOurCode.isEmpty(), "event loops blocked in Rafty code or I/O: "
                + blockedInOurCode.stream().map(EventLoopBlockingTest::describe).toList());
    }
}
