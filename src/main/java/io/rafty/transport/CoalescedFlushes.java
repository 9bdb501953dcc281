package io.rafty.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One socket write for the frames an HTTP/2 connection's handler flushes in one event-loop turn.
 *
 * <p>A unary gRPC answer is three HTTP/2 writes (headers, the message, the trailers), and Vert.x flushes each
 * one at once when it is written outside a read of that connection — which is where every answer that waited
 * for the Raft loop is written. So each answer cost three {@code writev} calls, and a batch of answers to one
 * client connection (the Raft loop completes a whole committed batch at once) three per call in the batch.
 * Netty's {@link FlushConsolidationHandler}, placed in front of the connection's HTTP/2 handler, turns a flush
 * outside a read into one flush at the end of the event loop's current tasks, and leaves flushes inside a
 * read to the read's end (as Vert.x does already). The cost is that turn: the frames leave after the tasks
 * already queued on the loop, not in the middle of them.
 *
 * <p>On by default for the etcd gRPC port; {@code -Drafty.etcd.coalesceFlushes=false} turns it off (for an
 * A/B, or should a Vert.x upgrade change the connection's shape: then this logs one line and does nothing).
 */
public final class CoalescedFlushes {

    /** Whether the etcd port's connections coalesce their flushes ({@code -Drafty.etcd.coalesceFlushes}). */
    public static final boolean ETCD = Boolean.parseBoolean(System.getProperty("rafty.etcd.coalesceFlushes", "true"));
    /**
     * Flushes after which one goes through even inside a long read: Netty's default bound, so a read of many
     * frames does not hold every answer back until it ends.
     */
    static final int EXPLICIT_FLUSH_AFTER = FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES;
    /** The handler's name in the pipeline. */
    static final String NAME = "rafty-coalesced-flushes";

    private static final Logger LOG = Logger.getLogger(CoalescedFlushes.class.getName());
    private static volatile boolean warned;

    private CoalescedFlushes() {
    }

    /**
     * Puts the coalescing handler in front of {@code connection}'s own handler; call it from the server's
     * connection handler, on the connection's event loop. Returns whether it did.
     */
    public static boolean install(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            if (!warned) {
                warned = true;
                LOG.log(Level.WARNING, "flushes not coalesced: unexpected connection type {0}",
                        connection.getClass().getName());
            }
            return false;
        }
        ChannelHandlerContext ctx = base.channelHandlerContext();
        if (ctx.pipeline().get(NAME) != null) {
            return true;
        }
        ctx.pipeline().addBefore(ctx.name(), NAME, new FlushConsolidationHandler(EXPLICIT_FLUSH_AFTER, true));
        return true;
    }
}
