package io.rafty.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rafty.jar bench-server}: the HTTP ceiling. A Vert.x Web router with the same route shapes
 * and body handler as the real API, answering every {@code PUT} / {@code GET /v1/kv/*} at once with a
 * small JSON body and no Raft, storage or peer traffic behind it. Point {@code bench} at it to see
 * what the HTTP layer and the generator cost on this machine. Runs until killed.
 */
@Command(name = "bench-server", hidden = true, mixinStandardHelpOptions = true,
        description = "A trivial Vert.x server (the HTTP ceiling for bench). Runs until killed.")
public final class TrivialServerCommand implements Callable<Integer> {

    private static final Buffer PUT_ANSWER = Buffer.buffer("{\"key\":\"k\",\"revision\":1}");

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "3100")
    int port;

    @Option(names = "--instances", defaultValue = "1",
            description = "Server verticle instances sharing the port (default ${DEFAULT-VALUE})")
    int instances;

    @Override
    public Integer call() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(1, instances)));
        Buffer getAnswer = Buffer.buffer("{\"key\":\"k\",\"value\":\"" + "v".repeat(256)
                + "\",\"revision\":1,\"createRevision\":1,\"version\":1}");
        vertx.deployVerticle(() -> new VerticleBase() {
            @Override
            public Future<?> start() {
                Router router = Router.router(vertx);
                router.route("/v1/kv/*").handler(BodyHandler.create(false).setBodyLimit(1 << 21));
                router.put("/v1/kv/*").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                        .end(PUT_ANSWER));
                router.get("/v1/kv/*").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
                        .end(getAnswer));
                return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true))
                        .requestHandler(router).listen();
            }
        }, new DeploymentOptions().setInstances(instances)).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        System.out.println("bench-server: listening on http://" + host + ":" + port + " with " + instances
                + " instance(s)");
        new CountDownLatch(1).await();
        return 0;
    }
}
