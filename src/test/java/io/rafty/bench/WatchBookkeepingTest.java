package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watch bench's bookkeeping, on made-up clock values: write-to-watch latency whichever of the
 * write's answer and the watcher's delivery comes first, the measured window, and what a watcher missed.
 */
class WatchBookkeepingTest {

    private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(2);
    private static final long MAX_AGE_NANOS = ms(10_000);

    private WriteLedger ledger;
    private Recorder latency;
    private WatcherTally watcher;

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @BeforeEach
    void window() {
        ledger = new WriteLedger(1024);
        latency = new Recorder(HIGHEST_MICROS, 3);
        watcher = new WatcherTally(ledger, latency, HIGHEST_MICROS, MAX_AGE_NANOS);
        ledger.openWindow(ms(1_000));
    }

    private Histogram recorded() {
        return latency.getIntervalHistogram();
    }

    @Test
    void answerThenDeliveryRecordsArrivalMinusSendAtOnce() {
        ledger.acknowledged(7, ms(2_000));
        watcher.change(7, ms(2_005));
        assertEquals(0, watcher.pending());
        assertEquals(1, watcher.settled());
        Histogram histogram = recorded();
        assertEquals(1, histogram.getTotalCount());
        assertEquals(5_000, histogram.getMaxValue(), 5);
    }

    @Test
    void deliveryBeforeTheAnswerIsParkedAndSettledWithItsArrivalTime() {
        watcher.change(7, ms(2_005));
        assertEquals(1, watcher.pending(), "no answer yet: the delivery waits");
        assertEquals(0, watcher.settled());
        ledger.acknowledged(7, ms(2_000));
        watcher.resolvePending(ms(2_050));
        assertEquals(0, watcher.pending());
        assertEquals(1, watcher.settled());
        Histogram histogram = recorded();
        assertEquals(1, histogram.getTotalCount());
        assertEquals(5_000, histogram.getMaxValue(), 5, "arrival minus send, not settle time minus send");
    }

    @Test
    void bothOrdersMixedInOneStream() {
        ledger.acknowledged(10, ms(2_000));
        watcher.change(10, ms(2_003));
        watcher.change(11, ms(2_004));
        watcher.change(12, ms(2_006));
        ledger.acknowledged(12, ms(2_001));
        ledger.acknowledged(11, ms(2_002));
        watcher.change(13, ms(2_010));
        ledger.acknowledged(13, ms(2_008));
        watcher.finish();
        assertEquals(4, watcher.settled());
        assertEquals(0, watcher.unmatched());
        Histogram histogram = recorded();
        assertEquals(4, histogram.getTotalCount());
        assertEquals(5_000, histogram.getMaxValue(), 5);
        assertEquals(2_000, histogram.getMinValue(), 5);
    }

    @Test
    void writesSentOutsideTheWindowAreMatchedButNotCounted() {
        ledger.acknowledged(3, ms(900));
        watcher.change(3, ms(1_001));
        watcher.change(4, ms(1_002));
        ledger.acknowledged(4, ms(950));
        ledger.acknowledged(5, ms(1_100));
        ledger.closeWindow(ms(1_200));
        ledger.acknowledged(6, ms(1_250));
        watcher.change(5, ms(1_300));
        watcher.change(6, ms(1_301));
        watcher.finish();
        assertEquals(1, ledger.countedWrites(), "only revision 5 was sent inside the window");
        assertEquals(5, ledger.lastCountedRevision());
        assertEquals(1, watcher.settled());
        assertEquals(0, watcher.unmatched(), "the others were matched, then dropped");
        assertEquals(1, recorded().getTotalCount());
        assertEquals(0, watcher.missed(ledger.countedWrites()));
    }

    @Test
    void anAnswerAfterTheWindowClosesStillCountsItsWrite() {
        ledger.closeWindow(ms(3_000));
        ledger.acknowledged(20, ms(2_999));
        watcher.change(20, ms(3_004));
        assertEquals(1, ledger.countedWrites());
        assertEquals(1, watcher.settled());
    }

    @Test
    void missedIsEveryCountedWriteTheWatcherDidNotReceive() {
        for (long revision = 100; revision < 110; revision++) {
            ledger.acknowledged(revision, ms(2_000 + revision));
        }
        for (long revision = 100; revision < 110; revision++) {
            if (revision != 103 && revision != 107) {
                watcher.change(revision, ms(2_500));
            }
        }
        watcher.finish();
        assertEquals(10, ledger.countedWrites());
        assertEquals(8, watcher.settled());
        assertEquals(2, watcher.missed(ledger.countedWrites()));
        assertEquals(109, watcher.highestRevision());
    }

    @Test
    void aRepeatedOrOlderRevisionCannotHideAMissingOne() {
        ledger.acknowledged(1, ms(2_000));
        ledger.acknowledged(2, ms(2_001));
        watcher.change(1, ms(2_010));
        watcher.change(1, ms(2_011));
        watcher.finish();
        assertEquals(1, watcher.outOfOrder());
        assertEquals(1, watcher.settled());
        assertEquals(1, watcher.missed(ledger.countedWrites()));
    }

    @Test
    void aDeliveryNoAnswerMatchesIsUnmatchedAfterTheAgeLimitOrAtTheEnd() {
        watcher.change(50, ms(2_000));
        watcher.resolvePending(ms(2_000) + MAX_AGE_NANOS);
        assertEquals(1, watcher.pending(), "not older than the limit yet");
        watcher.resolvePending(ms(2_001) + MAX_AGE_NANOS);
        assertEquals(0, watcher.pending());
        assertEquals(1, watcher.unmatched());
        watcher.change(51, ms(3_000));
        watcher.finish();
        assertEquals(2, watcher.unmatched());
        assertEquals(0, watcher.settled());
        assertEquals(0, recorded().getTotalCount());
    }

    @Test
    void parkedDeliveriesAreBounded() {
        for (int i = 1; i <= WatcherTally.MAX_PENDING + 10; i++) {
            watcher.change(i, ms(2_000));
        }
        assertEquals(WatcherTally.MAX_PENDING, watcher.pending());
        assertEquals(10, watcher.unmatched(), "the oldest are given up");
    }

    @Test
    void arrivalsInsideTheWindowAreCounted() {
        watcher.change(1, ms(500));
        watcher.change(2, ms(1_500));
        ledger.closeWindow(ms(2_000));
        watcher.change(3, ms(2_500));
        assertEquals(1, watcher.arrivedInWindow());
    }

    @Test
    void aRevisionOverwrittenInTheRingIsNoLongerKnown() {
        WriteLedger small = new WriteLedger(4);
        small.acknowledged(1, ms(10));
        assertEquals(ms(10), small.sentNanos(1));
        small.acknowledged(5, ms(20));
        assertEquals(WriteLedger.UNKNOWN, small.sentNanos(1));
        assertEquals(ms(20), small.sentNanos(5));
        assertEquals(WriteLedger.UNKNOWN, small.sentNanos(2));
        assertThrows(IllegalArgumentException.class, () -> new WriteLedger(3));
    }

    @Test
    void nothingCountsBeforeTheWindowOpens() {
        WriteLedger closed = new WriteLedger(16);
        closed.acknowledged(1, ms(10));
        assertEquals(0, closed.countedWrites());
        assertEquals(0, closed.lastCountedRevision());
    }
}
