package io.rafty.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A linearizable single-key history built the other way round: a sequential register applies each
 * operation at a chosen linearization point, and the operation's recorded interval is then drawn at
 * random around that point. Some writes FAIL (and are not applied) and some time out (and are applied
 * or not, at random), so the checker's treatment of both is exercised.
 */
final class RandomRegisterHistory {

    static final String KEY = "k";
    private static final long LINEARIZATION_POINT_SPACING_TICKS = 10;
    /** Half-width of an interval; with the spacing above, up to ~8 operations overlap. */
    private static final int INTERVAL_SPREAD_TICKS_MAX = 40;

    private final List<Operation> operations;

    private RandomRegisterHistory(List<Operation> operations) {
        this.operations = List.copyOf(operations);
    }

    List<Operation> operations() {
        return operations;
    }

    static RandomRegisterHistory generate(long seed, int operationCount, int clientCount) {
        return generate(seed, operationCount, clientCount, 5, 4);
    }

    /** As above with the given percentages of operations that FAIL and that time out (UNKNOWN). */
    static RandomRegisterHistory generate(long seed, int operationCount, int clientCount,
                                          int failPercent, int unknownPercent) {
        Random random = new Random(seed);
        long[] clientFreeAt = new long[clientCount];
        List<Operation> operations = new ArrayList<>();
        List<String> written = new ArrayList<>();
        String current = null;
        long point = 0;
        while (operations.size() < operationCount) {
            point += LINEARIZATION_POINT_SPACING_TICKS;
            long invoke = point - random.nextInt(INTERVAL_SPREAD_TICKS_MAX + 1);
            long complete = point + random.nextInt(INTERVAL_SPREAD_TICKS_MAX + 1);
            int client = freeClient(random, clientFreeAt, invoke);
            if (client < 0) {
                continue;
            }
            clientFreeAt[client] = complete;
            int id = operations.size();
            String fresh = "v" + id;
            int roll = random.nextInt(100);
            int outcomeRoll = random.nextInt(100);
            boolean fails = outcomeRoll < failPercent;
            boolean timesOut = !fails && outcomeRoll < failPercent + unknownPercent;
            boolean applied = !fails && (!timesOut || random.nextBoolean());
            KvInput input;
            KvOutput output;
            if (roll < 35) {
                input = KvInput.put(KEY, fresh);
                output = KvOutput.putOk();
                if (applied) {
                    current = fresh;
                }
            } else if (roll < 75) {
                input = KvInput.get(KEY);
                output = KvOutput.value(current);
            } else if (roll < 92) {
                String expected = random.nextBoolean() || written.isEmpty()
                        ? current
                        : written.get(random.nextInt(written.size()));
                input = KvInput.cas(KEY, expected, fresh);
                boolean swapped = Objects.equals(expected, current);
                output = swapped ? KvOutput.casOk() : KvOutput.casFailed();
                if (applied && swapped) {
                    current = fresh;
                }
            } else {
                input = KvInput.delete(KEY);
                output = current != null ? KvOutput.deleted() : KvOutput.notFound();
                if (applied) {
                    current = null;
                }
            }
            if (input instanceof KvInput.Put || input instanceof KvInput.Cas) {
                written.add(fresh);
            }
            Outcome outcome = fails ? Outcome.fail() : timesOut ? Outcome.unknown() : Outcome.ok(output);
            operations.add(new Operation(id, client, invoke, complete, input, outcome));
        }
        return new RandomRegisterHistory(operations);
    }

    private static int freeClient(Random random, long[] clientFreeAt, long invoke) {
        int start = random.nextInt(clientFreeAt.length);
        for (int i = 0; i < clientFreeAt.length; i++) {
            int client = (start + i) % clientFreeAt.length;
            if (clientFreeAt[client] < invoke) {
                return client;
            }
        }
        return -1;
    }

    /**
     * This history with one successful read changed to return a value that was definitely
     * overwritten before the read began: some write W1 of that value completed before an overwrite
     * W2 was invoked, and W2 completed before the read was invoked. Values are unique per write, so
     * no linearization can explain the corrupted read.
     */
    List<Operation> withOneStaleRead() {
        List<Operation> writes = new ArrayList<>();
        for (Operation operation : operations) {
            if (definitelyOverwrites(operation)) {
                writes.add(operation);
            }
        }
        for (int r = operations.size() / 2; r < operations.size(); r++) {
            Operation read = operations.get(r);
            if (!(read.input() instanceof KvInput.Get) || !(read.outcome() instanceof Outcome.Ok ok)) {
                continue;
            }
            String observed = ((KvOutput.GetResult) ok.output()).value();
            for (Operation overwrite : writes) {
                if (overwrite.completeTime() >= read.invokeTime()) {
                    continue;
                }
                for (Operation earlier : writes) {
                    String stale = writtenValue(earlier);
                    if (stale != null && !stale.equals(observed) && earlier.completeTime() < overwrite.invokeTime()) {
                        List<Operation> corrupted = new ArrayList<>(operations);
                        corrupted.set(r, new Operation(read.id(), read.clientId(), read.invokeTime(),
                                read.completeTime(), read.input(), Outcome.ok(KvOutput.value(stale))));
                        return corrupted;
                    }
                }
            }
        }
        throw new IllegalStateException("history too short to hold a stale read");
    }

    private static boolean definitelyOverwrites(Operation operation) {
        if (!(operation.outcome() instanceof Outcome.Ok ok)) {
            return false;
        }
        return operation.input() instanceof KvInput.Put
                || operation.input() instanceof KvInput.Delete
                || (operation.input() instanceof KvInput.Cas && ((KvOutput.CasResult) ok.output()).swapped());
    }

    private static String writtenValue(Operation write) {
        if (write.input() instanceof KvInput.Put put) {
            return put.value();
        }
        if (write.input() instanceof KvInput.Cas cas) {
            return cas.newValue();
        }
        return null;
    }
}
