package io.rafty.transport;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.PoolOptions;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * HTTP connections whose resets are logged at FINE, not by Vert.x's default handler at SEVERE. In a
 * cluster, peers restart and links drop all the time; a reset connection is a lost message, which Raft
 * already handles, and a wall of SEVERE lines would hide the log lines that matter.
 */
public final class QuietConnections {

    private static final Logger LOG = Logger.getLogger(QuietConnections.class.getName());

    private QuietConnections() {
    }

    /** An HTTP client whose connections' exceptions go to the FINE log. */
    public static HttpClient client(Vertx vertx, HttpClientOptions options, PoolOptions pool, String purpose) {
        return vertx.httpClientBuilder().with(options).with(pool)
                .withConnectHandler(connection -> quiet(connection, purpose))
                .build();
    }

    /** Routes a connection's exceptions to the FINE log. */
    public static void quiet(HttpConnection connection, String purpose) {
        connection.exceptionHandler(e -> LOG.log(Level.FINE, () -> purpose + " connection to "
                + connection.remoteAddress() + " failed: " + e.getMessage()));
    }
}
