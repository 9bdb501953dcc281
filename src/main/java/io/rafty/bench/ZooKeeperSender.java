package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The {@code zookeeper} target: ZooKeeper's own Java client, its asynchronous API, against a ZooKeeper
 * 3.8 ensemble. Key number {@code k} is the persistent znode {@code /rafty-bench/<key-prefix><k>}
 * ({@link #path}); a write is {@code setData} of the value on it (any version), a read is {@code sync}
 * of the path and then {@code getData} (the linearizable-read figure: ZooKeeper's strongest read, though
 * its documentation warns that sync is not a quorum operation, so a deposed leader that does not know
 * it yet could answer one), or with {@code --stale} a plain {@code getData}, which the contacted server
 * answers from its own state: sequentially consistent only, the stale figure.
 *
 * <p><b>Sessions.</b> One ZooKeeper session per closed-loop client, connected to that client's endpoint
 * only (client {@code i} to {@code endpoints[i % size]}, as for every target), so that, as each HTTP
 * client holds its own connection, no client waits behind another: a session's requests are served in
 * order, and a shared session would make one client's {@code getData} wait for another's {@code sync}
 * or write, a head-of-line blocking the other targets do not have. The cost is the client library's:
 * each session runs a send thread and an event thread (128 threads for 64 clients, parked while they
 * wait). The asynchronous API keeps the rest light: no thread blocks on a request, the callbacks only
 * hand the outcome to the client's event loop, and the loops never wait on ZooKeeper.
 *
 * <p><b>Setup.</b> {@link #open} connects the loop's sessions and creates the znodes (CreateMode
 * PERSISTENT, an existing one is fine): the parents of the key paths first, then every key, each
 * session creating the keys {@code k} with {@code k % clients == client}, a window of
 * {@value #CREATE_WINDOW} creates in flight per session. A write needs its znode, so this runs before
 * every zookeeper run, the put workload's too; the znodes are created holding the value, so reads of a
 * run without preload still find a whole value.
 *
 * <p><b>Outcomes.</b> A result code other than OK is an answer, counted by kind: {@code "CONNECTIONLOSS
 * (put)"}, {@code "NONODE (get)"}, {@code "SESSIONEXPIRED (sync)"}. The client library has no timeout
 * per request (it fails the requests of a lost connection after two thirds of the session timeout), so
 * the per-request timeout is a timer on the loop: a request unanswered by then fails as {@code "timeout"}.
 *
 * <p>Threads: {@link #open} and {@link #close} run on the generator's main thread; {@link #send} runs on
 * the loop's context, and ZooKeeper's callbacks (on the sessions' event threads) complete its futures
 * back on that context.
 */
final class ZooKeeperSender implements Sender {

    /** The znode under which every key lives, so that the bench's znodes are in one place. */
    static final String BASE_PATH = "/rafty-bench";
    /** Session timeout asked of the servers (which clamp it to 2..20 ticks: 4..40 s at the default tick). */
    static final int SESSION_TIMEOUT_MS = 30_000;
    /** Creates in flight per session during setup. */
    static final int CREATE_WINDOW = 16;
    /** How long {@link #close} waits for each session's close to be acknowledged. */
    static final int CLOSE_WAIT_MS = 2_000;

    /** How long {@link #close} waits for all the sessions' closes together. */
    static final long CLOSE_DEADLINE_MS = 10_000;

    /**
     * ZooKeeper's client logs every connect at INFO (its environment, the session id) and every failed
     * connection attempt as a WARNING with a stack trace: 64 sessions would bury the progress lines, and
     * a failed request already shows as an error kind. Held here, so that the level set on it is not
     * lost with a collected logger.
     */
    private static final Logger ZOOKEEPER_LOG = Logger.getLogger("org.apache.zookeeper");

    static {
        ZOOKEEPER_LOG.setLevel(Level.SEVERE);
    }

    private final BenchSettings settings;
    private final byte[] value;
    private final Context context;
    /** The loop's client ids, in the order of {@link #sessions}. */
    private final List<Integer> clients;
    /** Session of client {@code clients[i]} at index i; filled by {@link #open}. */
    private final List<ZooKeeper> sessions = new ArrayList<>();
    /** Index into {@link #sessions} by client id; -1 for the clients of other loops. */
    private final int[] sessionOfClient;
    private final long timeoutMs;

    ZooKeeperSender(BenchSettings settings, byte[] value, Context context, List<Integer> clients) {
        this.settings = settings;
        this.value = value;
        this.context = context;
        this.clients = List.copyOf(clients);
        this.sessionOfClient = new int[settings.clients()];
        Arrays.fill(sessionOfClient, -1);
        for (int i = 0; i < this.clients.size(); i++) {
            sessionOfClient[this.clients.get(i)] = i;
        }
        this.timeoutMs = settings.timeout().toMillis();
    }

    /** The znode of key number {@code key}: {@code /rafty-bench/bench/0000000042} with the default prefix. */
    static String path(String keyPrefix, int key) {
        return TargetProtocol.appendKey(new StringBuilder(BASE_PATH.length() + 12 + keyPrefix.length())
                .append(BASE_PATH).append('/'), keyPrefix, key).toString();
    }

    /**
     * The znodes above every key, outermost first: {@code /rafty-bench}, then one per {@code /} in the
     * prefix ({@code /rafty-bench/bench} for the default {@code bench/}).
     */
    static List<String> parents(String keyPrefix) {
        List<String> parents = new ArrayList<>();
        parents.add(BASE_PATH);
        int slash = keyPrefix.indexOf('/');
        while (slash >= 0) {
            String parent = BASE_PATH + "/" + keyPrefix.substring(0, slash);
            if (slash > 0 && !parent.endsWith("/") && !parents.contains(parent)) {
                parents.add(parent);
            }
            slash = keyPrefix.indexOf('/', slash + 1);
        }
        return parents;
    }

    /** The connect string of client {@code client}: its endpoint only, so the session stays on that server. */
    private String connectString(int client) {
        URI endpoint = settings.endpoints().get(client % settings.endpoints().size());
        return endpoint.getHost() + ":" + endpoint.getPort();
    }

    @Override
    public Future<Void> open() {
        Promise<Void> opened = Promise.promise();
        AtomicInteger connecting = new AtomicInteger(clients.size());
        if (clients.isEmpty()) {
            return Future.succeededFuture();
        }
        for (int client : clients) {
            try {
                Promise<Void> connected = Promise.promise();
                ZooKeeper session = new ZooKeeper(connectString(client), SESSION_TIMEOUT_MS, (WatchedEvent event) -> {
                    if (event.getType() != Watcher.Event.EventType.None) {
                        return;
                    }
                    switch (event.getState()) {
                        case SyncConnected -> connected.tryComplete();
                        case Expired, AuthFailed, Closed -> connected.tryFail(new IOException(
                                "zookeeper session to " + connectString(client) + ": " + event.getState()));
                        default -> {
                            // Disconnected: the client reconnects by itself; the requests in flight fail.
                        }
                    }
                });
                sessions.add(session);
                connected.future().onComplete(ar -> {
                    if (ar.failed()) {
                        opened.tryFail(ar.cause());
                    } else if (connecting.decrementAndGet() == 0) {
                        opened.tryComplete();
                    }
                });
            } catch (IOException | IllegalArgumentException e) {
                opened.tryFail(new IOException("zookeeper session to " + connectString(client) + ": " + e.getMessage(), e));
                return opened.future();
            }
        }
        long connectMs = timeoutMs;
        long timer = context.owner().setTimer(connectMs, t -> opened.tryFail(new TimeoutException(
                "zookeeper sessions not all connected within " + connectMs + " ms")));
        return opened.future()
                .onComplete(ar -> context.owner().cancelTimer(timer))
                .compose(v -> Future.all(createKeys()).mapEmpty());
    }

    /** Each session creates the parents, then its share of the keys; one future per session. */
    private List<Future<Void>> createKeys() {
        List<Future<Void>> created = new ArrayList<>();
        List<String> parents = parents(settings.keyPrefix());
        for (int i = 0; i < clients.size(); i++) {
            ZooKeeper session = sessions.get(i);
            int client = clients.get(i);
            Promise<Void> done = Promise.promise();
            // A session's requests are served in order: once its parent creates are answered (OK or
            // NODEEXISTS, whichever session won), the parents exist for its key creates that follow.
            for (String parent : parents) {
                session.create(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                        (rc, path, ctx, name) -> {
                            if (!createdOrThere(rc)) {
                                done.tryFail(new IOException("create " + path + ": " + KeeperException.Code.get(rc)));
                            }
                        }, null);
            }
            KeyCreator creator = new KeyCreator(session, client, done);
            for (int w = 0; w < CREATE_WINDOW; w++) {
                creator.next();
            }
            created.add(done.future());
        }
        return created;
    }

    private static boolean createdOrThere(int rc) {
        return rc == KeeperException.Code.OK.intValue() || rc == KeeperException.Code.NODEEXISTS.intValue();
    }

    /** Creates the keys of one client, {@code client}, {@code client + clients}, ..., a window at a time. */
    private final class KeyCreator implements AsyncCallback.StringCallback {
        private final ZooKeeper session;
        private final Promise<Void> done;
        private final AtomicInteger nextKey;
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicReference<String> failure = new AtomicReference<>();

        KeyCreator(ZooKeeper session, int client, Promise<Void> done) {
            this.session = session;
            this.done = done;
            this.nextKey = new AtomicInteger(client);
        }

        /**
         * Sends the next create, or, when no key is left, completes once none is in flight. A call holds
         * one count of {@link #inFlight} from before it draws a key, and a create from its sending to the
         * end of its callback, so the count reaches 0 only when every drawn key has been answered.
         */
        void next() {
            inFlight.incrementAndGet();
            int key = nextKey.getAndAdd(settings.clients());
            if (key >= settings.keys() || failure.get() != null) {
                if (inFlight.decrementAndGet() == 0) {
                    finish();
                }
                return;
            }
            session.create(path(settings.keyPrefix(), key), value, ZooDefs.Ids.OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT, this, null);
        }

        @Override
        public void processResult(int rc, String path, Object ctx, String name) {
            if (!createdOrThere(rc)) {
                failure.compareAndSet(null, "create " + path + ": " + KeeperException.Code.get(rc));
            }
            next();
            if (inFlight.decrementAndGet() == 0) {
                finish();
            }
        }

        private void finish() {
            String problem = failure.get();
            if (problem == null) {
                done.tryComplete();
            } else {
                done.tryFail(new IOException(problem));
            }
        }
    }

    @Override
    public Future<Outcome> send(int client, int endpoint, int key, boolean read, boolean revision) {
        ZooKeeper session = sessions.get(sessionOfClient[client]);
        String path = path(settings.keyPrefix(), key);
        Promise<Outcome> answered = Promise.promise();
        long timer = context.owner().setTimer(timeoutMs, t -> answered.tryFail(new TimeoutException()));
        if (!read) {
            session.setData(path, value, -1, (int rc, String p, Object ctx, Stat stat) ->
                    answer(answered, timer, rc == 0 ? Outcome.ok(revision && stat != null ? stat.getMzxid() : -1)
                            : failed(rc, "put")), null);
        } else if (settings.stale()) {
            session.getData(path, false, (int rc, String p, Object ctx, byte[] data, Stat stat) ->
                    answer(answered, timer, rc == 0 ? Outcome.OK : failed(rc, "get")), null);
        } else {
            session.sync(path, (int syncRc, String p, Object ctx) -> {
                if (syncRc != 0) {
                    answer(answered, timer, failed(syncRc, "sync"));
                    return;
                }
                session.getData(path, false, (int rc, String q, Object c, byte[] data, Stat stat) ->
                        answer(answered, timer, rc == 0 ? Outcome.OK : failed(rc, "get")), null);
            }, null);
        }
        return answered.future();
    }

    /** Hands an outcome from a ZooKeeper event thread to the loop, where the client goes on. */
    private void answer(Promise<Outcome> answered, long timer, Outcome outcome) {
        context.runOnContext(v -> {
            context.owner().cancelTimer(timer);
            answered.tryComplete(outcome);
        });
    }

    /** A result code other than OK as an error's kind: {@code "CONNECTIONLOSS (put)"}. */
    static Outcome failed(int rc, String operation) {
        KeeperException.Code code = KeeperException.Code.get(rc);
        return Outcome.failed((code == null ? "rc " + rc : code.name()) + " (" + operation + ")");
    }

    /**
     * Closes every session, all at once: a close waits for the server's answer, or, for a session that is
     * between connection attempts, for the client's pause before the next one (up to a second), so 64 in
     * a row could take a minute.
     */
    @Override
    public void close() {
        List<Thread> closers = new ArrayList<>();
        for (ZooKeeper session : sessions) {
            Thread closer = new Thread(() -> {
                try {
                    session.close(CLOSE_WAIT_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bench-zookeeper-close");
            closer.setDaemon(true);
            closer.start();
            closers.add(closer);
        }
        sessions.clear();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_DEADLINE_MS);
        try {
            for (Thread closer : closers) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs > 0) {
                    closer.join(remainingMs);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
