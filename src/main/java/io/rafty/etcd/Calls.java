package io.rafty.etcd;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Completes a unary call from a future: the answer, or the failure as etcd's status ({@link EtcdErrors#of}).
 * The observer is only touched on the context the call arrived on (the etcd server's event loop), however
 * far the future travelled (the Raft verticle, a worker). A validation error thrown while building the
 * future fails the call the same way; nothing escapes to grpc-java as an unexpected exception.
 */
public final class Calls {

    private static final Logger LOG = Logger.getLogger(Calls.class.getName());

    private Calls() {
    }

    /** Runs {@code call} and answers {@code observer} with its outcome; {@code rpc} names it in logs. */
    public static <T> void unary(String rpc, StreamObserver<T> observer, Supplier<Future<T>> call) {
        Context origin = Vertx.currentContext();
        Future<T> result;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            result = Future.failedFuture(e);
        }
        result.onComplete(ar -> onContext(origin, () -> {
            if (ar.succeeded()) {
                observer.onNext(ar.result());
                observer.onCompleted();
                return;
            }
            StatusRuntimeException error = EtcdErrors.of(ar.cause());
            if (EtcdErrors.isInternal(error)) {
                LOG.log(Level.SEVERE, "etcd " + rpc + " failed unexpectedly", ar.cause());
            }
            observer.onError(error);
        }));
    }

    private static void onContext(Context origin, Runnable action) {
        if (origin == null || Vertx.currentContext() == origin) {
            action.run();
        } else {
            origin.runOnContext(v -> action.run());
        }
    }
}
