package io.rafty.node;

import io.rafty.kv.KvStateMachine;
import io.rafty.raft.message.Message;
import io.rafty.storage.InMemoryKvStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link NodeDriver.Host} that carries out nothing by itself: it records what the driver sends,
 * queues each task on its worker, and lets the test complete (or fail) the tasks one by one, in each
 * worker's order, as the real workers would. Applies run against an in-memory state machine so their
 * results are real; an install only moves its applied index (the data is irrelevant to the driver).
 */
final class RecordingHost implements NodeDriver.Host {

    /** Every message handed to {@link #send}, in order. */
    final List<Message> sent = new ArrayList<>();
    /** Every task handed to {@link #execute}, as "WORKER KIND", in the order given. */
    final List<String> executed = new ArrayList<>();
    /** Every status published. */
    final List<NodeStatus> published = new ArrayList<>();
    /** Peers {@link #streamSnapshot} was asked to stream to. */
    final List<Integer> snapshotStreams = new ArrayList<>();

    private final Map<NodeDriver.Worker, ArrayDeque<StorageTask>> queues = new EnumMap<>(NodeDriver.Worker.class);
    private final InMemoryKvStore kvStore = new InMemoryKvStore();
    private final KvStateMachine stateMachine = new KvStateMachine(kvStore);
    private NodeDriver driver;

    RecordingHost() {
        for (NodeDriver.Worker worker : NodeDriver.Worker.values()) {
            queues.put(worker, new ArrayDeque<>());
        }
    }

    /** The driver completions go to; it is built with this host, so it is attached afterwards. */
    void attach(NodeDriver driver) {
        this.driver = driver;
    }

    @Override
    public void send(List<Message> messages) {
        sent.addAll(messages);
    }

    @Override
    public void execute(NodeDriver.Worker worker, StorageTask task) {
        queues.get(worker).add(task);
        executed.add(worker + " " + task.kind());
    }

    @Override
    public void streamSnapshot(int peer, long term) {
        snapshotStreams.add(peer);
    }

    @Override
    public void publish(NodeStatus status) {
        published.add(status);
    }

    // ----- inspecting -------------------------------------------------------------------------

    /** The tasks given to {@code worker} and not completed yet, oldest first. */
    List<StorageTask> queued(NodeDriver.Worker worker) {
        return List.copyOf(queues.get(worker));
    }

    /** The queued tasks of {@code worker} of one kind. */
    <T extends StorageTask> List<T> queued(NodeDriver.Worker worker, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (StorageTask task : queues.get(worker)) {
            if (type.isInstance(task)) {
                out.add(type.cast(task));
            }
        }
        return out;
    }

    /** How many tasks of {@code kind} the driver ever handed to {@code worker}. */
    long executedCount(NodeDriver.Worker worker, StorageTask.Kind kind) {
        return executed.stream().filter((worker + " " + kind)::equals).count();
    }

    /** The messages of one type sent so far. */
    <T extends Message> List<T> sent(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Message message : sent) {
            if (type.isInstance(message)) {
                out.add(type.cast(message));
            }
        }
        return out;
    }

    // ----- carrying tasks out -----------------------------------------------------------------

    /** Completes the oldest task of {@code worker} with the result its kind calls for, and returns it. */
    StorageTask complete(NodeDriver.Worker worker) {
        StorageTask task = queues.get(worker).poll();
        if (task == null) {
            throw new AssertionError("no task queued on the " + worker + " worker");
        }
        driver.completed(task, resultOf(task));
        return task;
    }

    /** Completes the tasks of {@code worker} until it has none, including the ones they lead to. */
    void completeAll(NodeDriver.Worker worker) {
        for (int i = 0; !queues.get(worker).isEmpty(); i++) {
            if (i > 10_000) {
                throw new AssertionError("the " + worker + " worker never drains");
            }
            complete(worker);
        }
    }

    /** Fails the oldest task of {@code worker} with {@code cause}, and returns it. */
    StorageTask fail(NodeDriver.Worker worker, Throwable cause) {
        StorageTask task = queues.get(worker).poll();
        if (task == null) {
            throw new AssertionError("no task queued on the " + worker + " worker");
        }
        driver.failed(task, cause);
        return task;
    }

    /** Completes every task on every worker, and those they lead to, until all workers are idle. */
    void settle() {
        for (int i = 0; ; i++) {
            if (i > 10_000) {
                throw new AssertionError("the workers never drain");
            }
            NodeDriver.Worker busy = null;
            for (NodeDriver.Worker worker : NodeDriver.Worker.values()) {
                if (!queues.get(worker).isEmpty()) {
                    busy = worker;
                    break;
                }
            }
            if (busy == null) {
                return;
            }
            complete(busy);
        }
    }

    private Object resultOf(StorageTask task) {
        switch (task.kind()) {
            case APPLY -> {
                return stateMachine.apply(((StorageTask.Apply) task).entries());
            }
            case INSTALL_SNAPSHOT -> {
                // The installed image replaces the state machine; here only its applied index matters.
                long index = ((StorageTask.InstallSnapshot) task).meta().index();
                if (index > kvStore.appliedIndex()) {
                    kvStore.write(Map.of(), List.of(), 0, index);
                }
                return kvStore.compactRevision();
            }
            case TAKE_SNAPSHOT -> {
                return kvStore.appliedIndex();
            }
            case READ_HISTORY -> {
                return ((StorageTask.ReadHistory) task).readFrom(stateMachine);
            }
            case PURGE_HISTORY -> {
                return stateMachine.purgeHistory(((StorageTask.PurgeHistory) task).maxRecords());
            }
            case PERSIST, COMPACT_LOG, RECLAIM_LOG_SPACE, DISCARD_STAGED_SNAPSHOT -> {
                return null;
            }
        }
        throw new AssertionError(task.kind());
    }
}
