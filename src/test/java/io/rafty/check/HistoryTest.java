package io.rafty.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class HistoryTest {

    @Test
    void concurrentClientsRecordEveryOperationOnceWithUniqueIds() throws Exception {
        int clients = 8;
        int operationsPerClient = 2_000;
        History history = new History();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService executor = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                done.add(executor.submit(() -> {
                    start.await();
                    for (int i = 0; i < operationsPerClient; i++) {
                        long time = 2L * i;
                        History.Call call = history.invoke(client, time, KvInput.put("k" + client, "v" + i));
                        history.ok(call, time + 1, KvOutput.putOk());
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            executor.shutdown();
        }
        List<Operation> operations = history.operations();
        assertEquals(clients * operationsPerClient, operations.size());
        for (int i = 0; i < operations.size(); i++) {
            assertEquals(i, operations.get(i).id());
        }
        assertTrue(LinearizabilityChecker.check(history).isLinearizable());
    }

    @Test
    void uncompletedCallIsRecordedAsUnknown() {
        History history = new History();
        history.invoke(1, 5, KvInput.get("k"));
        Operation operation = history.operations().get(0);
        assertInstanceOf(Outcome.Unknown.class, operation.outcome());
        assertEquals(Long.MAX_VALUE, operation.completeTime());
    }

    @Test
    void callCannotCompleteTwice() {
        History history = new History();
        History.Call call = history.invoke(1, 0, KvInput.get("k"));
        history.ok(call, 1, KvOutput.absent());
        assertThrows(IllegalStateException.class, () -> history.fail(call, 2));
    }

    @Test
    void completionBeforeInvocationIsRejected() {
        History history = new History();
        History.Call call = history.invoke(1, 10, KvInput.get("k"));
        assertThrows(IllegalArgumentException.class, () -> history.ok(call, 9, KvOutput.absent()));
    }

    @Test
    void outputMustMatchTheKindOfInput() {
        History history = new History();
        History.Call call = history.invoke(1, 0, KvInput.get("k"));
        assertThrows(IllegalArgumentException.class, () -> history.ok(call, 1, KvOutput.casOk()));
    }
}
