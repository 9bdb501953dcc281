package io.rafty.etcd;

import io.etcd.jetcd.api.RangeRequest;
import io.grpc.Status;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.RevisionUnavailableException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Range reads as etcd answers them, from the state machine's history at one revision. Blocking
 * (RocksDB): call from a worker. The whole range is walked, because etcd's {@code count} is the number
 * of keys in the range whatever the limit; only the entries the answer returns are kept, and those at
 * most {@code maxAnswerBytes} of keys and values.
 *
 * <p>Sorting is etcd's: within the range's matching entries, by the target, then truncated to the
 * limit. Results come in key order, so an ascending sort by key is no sort, and a sort target other
 * than the key with no order given is ascending.
 */
final class RangeReads {

    /** Entries fetched from the store per step of a walk. */
    private static final int PAGE_ENTRIES = 256;

    /** The range, how to shape the answer, and at which revision (0: the applied index). */
    record Query(KeyRange range, long revision, long limit, RangeRequest.SortOrder sortOrder,
                 RangeRequest.SortTarget sortTarget, boolean countOnly, boolean keysOnly, long minModRevision,
                 long maxModRevision, long minCreateRevision, long maxCreateRevision) {

        static Query of(RangeRequest request) {
            return new Query(KeyRange.of(request.getKey(), request.getRangeEnd()), request.getRevision(),
                    Math.max(0, request.getLimit()), request.getSortOrder(), request.getSortTarget(),
                    request.getCountOnly(), request.getKeysOnly(), request.getMinModRevision(),
                    request.getMaxModRevision(), request.getMinCreateRevision(), request.getMaxCreateRevision());
        }

        /** The order results are sorted in after etcd's normalisation; NONE when key order stands. */
        RangeRequest.SortOrder effectiveOrder() {
            boolean byKey = sortTarget == RangeRequest.SortTarget.KEY;
            if (!byKey && sortOrder == RangeRequest.SortOrder.NONE) {
                return RangeRequest.SortOrder.ASCEND;
            }
            if (byKey && sortOrder == RangeRequest.SortOrder.ASCEND) {
                return RangeRequest.SortOrder.NONE;
            }
            return sortOrder;
        }

        boolean passes(KvEntry entry) {
            return (minModRevision == 0 || entry.revision() >= minModRevision)
                    && (maxModRevision == 0 || entry.revision() <= maxModRevision)
                    && (minCreateRevision == 0 || entry.createRevision() >= minCreateRevision)
                    && (maxCreateRevision == 0 || entry.createRevision() <= maxCreateRevision);
        }
    }

    /** What a range found: the entries to return, how many matched in all, whether there were more. */
    record Result(long revision, List<KvEntry> entries, long count, boolean more) {
    }

    private RangeReads() {
    }

    /**
     * Reads {@code query} at its revision, or at the applied index when it names none.
     *
     * @throws RevisionUnavailableException when the revision is compacted or in the future
     * @throws io.grpc.StatusRuntimeException RESOURCE_EXHAUSTED when the answer would exceed {@code maxAnswerBytes}
     */
    static Result read(KvStateMachine stateMachine, Query query, long maxAnswerBytes) {
        while (true) {
            long revision = query.revision() > 0 ? query.revision() : stateMachine.appliedIndex();
            try {
                return readAt(stateMachine, query, revision, maxAnswerBytes);
            } catch (RevisionUnavailableException e) {
                // The applied index was compacted away under the read (an admin compacting to the head):
                // the applied index has moved past it too, so the next attempt reads a newer one.
                if (query.revision() > 0 || e.reason() != RevisionUnavailableException.Reason.COMPACTED) {
                    throw e;
                }
            }
        }
    }

    private static Result readAt(KvStateMachine stateMachine, Query query, long revision, long maxAnswerBytes) {
        RangeRequest.SortOrder order = query.effectiveOrder();
        // Sorting needs every matching entry; otherwise one beyond the limit tells "more".
        long keep = query.countOnly() ? 0 : order != RangeRequest.SortOrder.NONE || query.limit() == 0
                ? Long.MAX_VALUE : query.limit();
        List<KvEntry> kept = new ArrayList<>();
        long[] count = {0};
        long[] bytes = {0};
        java.util.function.Consumer<KvEntry> visit = entry -> {
            if (!query.passes(entry)) {
                return;
            }
            count[0]++;
            if (kept.size() < keep) {
                bytes[0] += entry.key().length + (query.keysOnly() ? 0 : entry.value().length);
                if (bytes[0] > maxAnswerBytes) {
                    throw Status.RESOURCE_EXHAUSTED.withDescription("rafty: the range answer exceeds "
                            + maxAnswerBytes + " bytes (etcdMaxMessageBytes); ask with a limit or keys_only")
                            .asRuntimeException();
                }
                kept.add(entry);
            }
        };
        KeyRange range = query.range();
        if (range.single()) {
            KvEntry entry = stateMachine.getAt(range.start(), revision);
            if (entry != null) {
                visit.accept(entry);
            }
        } else {
            byte[] prefix = range.scanPrefix();
            byte[] after = null;
            if (!Arrays.equals(prefix, range.start())) {
                // The scan is exclusive of its cursor: the start key itself is looked up on its own.
                KvEntry first = stateMachine.getAt(range.start(), revision);
                if (first != null && range.contains(first.key())) {
                    visit.accept(first);
                }
                after = range.start();
            }
            walk:
            while (true) {
                List<KvEntry> page = stateMachine.listAt(prefix, after, PAGE_ENTRIES, revision).entries();
                for (KvEntry entry : page) {
                    if (range.endsBefore(entry.key())) {
                        break walk;
                    }
                    visit.accept(entry);
                }
                if (page.size() < PAGE_ENTRIES) {
                    break;
                }
                after = page.get(page.size() - 1).key();
            }
        }
        if (order != RangeRequest.SortOrder.NONE) {
            Comparator<KvEntry> comparator = comparator(query.sortTarget());
            kept.sort(order == RangeRequest.SortOrder.DESCEND ? comparator.reversed() : comparator);
        }
        boolean more = false;
        List<KvEntry> entries = kept;
        if (query.limit() > 0 && kept.size() > query.limit()) {
            entries = List.copyOf(kept.subList(0, (int) query.limit()));
        }
        if (query.limit() > 0 && count[0] > query.limit() && !query.countOnly()) {
            more = true;
        }
        return new Result(revision, entries, count[0], more);
    }

    static Comparator<KvEntry> comparator(RangeRequest.SortTarget target) {
        return switch (target) {
            case KEY, UNRECOGNIZED -> (a, b) -> Arrays.compareUnsigned(a.key(), b.key());
            case VERSION -> Comparator.comparingLong(KvEntry::version);
            case CREATE -> Comparator.comparingLong(KvEntry::createRevision);
            case MOD -> Comparator.comparingLong(KvEntry::revision);
            case VALUE -> (a, b) -> Arrays.compareUnsigned(a.value(), b.value());
        };
    }
}
