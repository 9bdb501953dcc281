package io.rafty.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.storage.InMemoryKvStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link BatchedReads} cuts a worker batch once the values it found reach {@code maxBatchBytes} (after
 * at least one lookup) and serves the lookups it did not reach first in the next batch. The worker
 * batches are observed exactly: the Vert.x handed to it records the start of every blocking task, and
 * the store records which keys each task looked up.
 */
@ExtendWith(VertxExtension.class)
class BatchedReadsBytesTest {

    private static final int VALUE_BYTES = 600;
    private static final long MAX_BATCH_BYTES = 1000;

    /** The keys each worker batch asked the store for, in order. */
    private final List<List<String>> batches = new CopyOnWriteArrayList<>();
    private final Map<String, byte[]> values = new HashMap<>();
    /** The store blocks on this key until {@link #gate} opens, so the test can add lookups mid-batch. */
    private volatile String gatedKey;
    private final CountDownLatch gate = new CountDownLatch(1);
    private final AtomicBoolean atGate = new AtomicBoolean();
    /**
     * The first lookup of a test waits on this until every lookup of its burst is queued. Without it the
     * worker can finish that lookup before the event loop attaches its completion handler, which then
     * runs at once, inside the burst, and the next batch starts with fewer lookups than the test means.
     */
    private volatile String headKey;
    private final CountDownLatch head = new CountDownLatch(1);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A store over an in-memory one that records every get in the current worker batch. */
    private KvStore recordingStore() {
        InMemoryKvStore real = new InMemoryKvStore();
        Map<Key, KvEntry> entries = new HashMap<>();
        values.forEach((key, value) -> entries.put(new Key(utf8(key)), new KvEntry(utf8(key), value, 1, 1, 1)));
        real.write(entries, List.of(), 0, 1);
        return (KvStore) Proxy.newProxyInstance(KvStore.class.getClassLoader(), new Class<?>[] {KvStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("get")) {
                        String key = new String((byte[]) args[0], StandardCharsets.UTF_8);
                        batches.get(batches.size() - 1).add(key);
                        if (key.equals(gatedKey)) {
                            atGate.set(true);
                            gate.await(10, TimeUnit.SECONDS);
                        }
                        if (key.equals(headKey)) {
                            head.await(10, TimeUnit.SECONDS);
                        }
                    }
                    return invoke(method, real, args);
                });
    }

    /** The Vert.x instance, except that each blocking task opens a new entry in {@link #batches}. */
    private Vertx recordingVertx(Vertx real) {
        return (Vertx) Proxy.newProxyInstance(Vertx.class.getClassLoader(), new Class<?>[] {Vertx.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("executeBlocking") && args[0] instanceof Callable<?> task) {
                        Object[] wrapped = args.clone();
                        wrapped[0] = (Callable<Object>) () -> {
                            batches.add(new CopyOnWriteArrayList<>());
                            return task.call();
                        };
                        args = wrapped;
                    }
                    return invoke(method, real, args);
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private BatchedReads reads(Vertx vertx, int maxBatch, long maxBatchBytes) {
        return new BatchedReads(recordingVertx(vertx), new KvStateMachine(recordingStore()), maxBatch, maxBatchBytes);
    }

    /** Checks that every lookup got its own key's value (null when absent). */
    private void assertOwnValues(List<String> keys, List<Future<KvEntry>> answers) {
        for (int i = 0; i < keys.size(); i++) {
            KvEntry entry = answers.get(i).result();
            byte[] expected = values.get(keys.get(i));
            if (expected == null) {
                assertNull(entry, keys.get(i));
            } else {
                assertArrayEquals(utf8(keys.get(i)), entry.key());
                assertArrayEquals(expected, entry.value(), keys.get(i));
            }
        }
    }

    // One worker result must not hold an unbounded burst of large values; the lookups left over are not lost.
    @Test
    void batchStopsOnceTheValuesReachMaxBatchBytesAndTheRestLeadTheNextBatch(Vertx vertx, VertxTestContext test)
            throws Exception {
        for (String big : List.of("b1", "b2", "b3", "b4")) {
            values.put(big, new byte[VALUE_BYTES]);
            values.get(big)[0] = (byte) big.charAt(1);
        }
        values.put("first", utf8("f"));
        values.put("small", utf8("s"));
        gatedKey = "b1";
        headKey = "first";
        BatchedReads reads = reads(vertx, 100, MAX_BATCH_BYTES);
        List<String> keys = new CopyOnWriteArrayList<>(List.of("first", "b1", "b2", "b3", "absent", "small", "b4"));
        List<Future<KvEntry>> answers = new CopyOnWriteArrayList<>();
        Map<String, Integer> completions = new java.util.concurrent.ConcurrentHashMap<>();

        vertx.runOnContext(v -> {
            // "first" goes to the worker alone; the rest queue behind it and form the next batch.
            for (String key : keys) {
                Future<KvEntry> answer = reads.get(utf8(key));
                answer.onComplete(ar -> completions.merge(key, 1, Integer::sum));
                answers.add(answer);
            }
            head.countDown();
        });
        // The second batch is on the worker, held at b1: a lookup that arrives now queues behind the leftovers.
        await().atMost(Duration.ofSeconds(10)).untilTrue(atGate);
        vertx.runOnContext(v -> {
            Future<KvEntry> late = reads.get(utf8("b2"));
            late.onComplete(ar -> completions.merge("late b2", 1, Integer::sum));
            keys.add("b2");
            answers.add(late);
            gate.countDown();
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == keys.size()
                && answers.stream().allMatch(Future::isComplete));

        vertx.runOnContext(v -> test.verify(() -> {
            // b1 and b2 reach 1000 bytes: the batch stops there; b3..b4 lead the next one, then the late lookup.
            assertEquals(List.of(List.of("first"), List.of("b1", "b2"), List.of("b3", "absent", "small", "b4"),
                    List.of("b2")), batches);
            assertEquals(keys.size(), completions.values().stream().mapToInt(Integer::intValue).sum());
            completions.forEach((key, count) -> assertEquals(1, count, key + " answered once"));
            answers.forEach(a -> assertTrue(a.succeeded(), String.valueOf(a.cause())));
            assertOwnValues(keys, answers);
            test.completeNow();
        }));
    }

    // A value alone above the limit still gets its batch: at least one lookup per batch, so reads always progress.
    @Test
    void eachBatchServesAtLeastOneLookupWhateverItsSize(Vertx vertx, VertxTestContext test) {
        values.put("b1", new byte[VALUE_BYTES]);
        values.put("b2", new byte[VALUE_BYTES + 1]);
        values.put("b3", new byte[VALUE_BYTES + 2]);
        headKey = "b1";
        BatchedReads reads = reads(vertx, 100, 100);
        List<String> keys = List.of("b1", "b2", "b3", "b1");
        vertx.runOnContext(v -> {
            List<Future<KvEntry>> answers = new ArrayList<>();
            for (String key : keys) {
                answers.add(reads.get(utf8(key)));
            }
            head.countDown();
            Future.all(answers).onComplete(test.succeeding(all -> test.verify(() -> {
                assertEquals(List.of(List.of("b1"), List.of("b2"), List.of("b3"), List.of("b1")), batches);
                assertOwnValues(keys, answers);
                test.completeNow();
            })));
        });
    }

    // The count limit still cuts batches of small values; the byte limit only ever stops a batch earlier.
    @Test
    void smallValuesAreCutByCountNotBytes(Vertx vertx, VertxTestContext test) {
        for (int i = 0; i < 6; i++) {
            values.put("k" + i, utf8("v" + i));
        }
        headKey = "k0";
        BatchedReads reads = reads(vertx, 2, MAX_BATCH_BYTES);
        List<String> keys = List.of("k0", "k1", "k2", "k3", "k4", "k5");
        vertx.runOnContext(v -> {
            List<Future<KvEntry>> answers = new ArrayList<>();
            for (String key : keys) {
                answers.add(reads.get(utf8(key)));
            }
            head.countDown();
            Future.all(answers).onComplete(test.succeeding(all -> test.verify(() -> {
                assertEquals(List.of(List.of("k0"), List.of("k1", "k2"), List.of("k3", "k4"), List.of("k5")), batches);
                assertOwnValues(keys, answers);
                test.completeNow();
            })));
        });
    }

    // A limit of zero would stall every read: refused at construction.
    @Test
    void nonPositiveLimitsAreRefused(Vertx vertx) {
        KvStateMachine sm = new KvStateMachine(new InMemoryKvStore());
        assertThrows(IllegalArgumentException.class, () -> new BatchedReads(vertx, sm, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchedReads(vertx, sm, 0, 1));
    }
}
