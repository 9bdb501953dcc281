package io.rafty.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hostile bytes on the peer route: whatever arrives, {@link MessageCodec#decode} either returns
 * messages or throws {@link IllegalArgumentException} — never another exception, never a huge
 * allocation driven by a length field.
 */
class MessageCodecFuzzTest {

    private static final int ROUNDS = 50_000;
    private static final PeerIdentity SENDER = new PeerIdentity(0x1234_5678_9abc_def0L, -42);
    /** version, cluster id, storage id, count. */
    private static final int BATCH_HEADER = 1 + 8 + 8 + 4;

    private static byte[] encode(List<Message> messages) {
        return MessageCodec.encode(SENDER, messages);
    }

    private static List<Message> decode(byte[] bytes) {
        return MessageCodec.decode(bytes).messages();
    }

    private static List<Message> sample() {
        return List.of(
                new RequestVote(1, 2, 3, 10, 2, true),
                new VoteResponse(2, 1, 3, true, false),
                new AppendEntries(1, 2, 3, 4, 2, List.of(Entry.command(3, 5, new byte[] {1, 2, 3}),
                        Entry.noop(3, 6)), 4),
                new AppendResponse(2, 1, 3, false, 6, 5, 2),
                new Heartbeat(1, 3, 3, 6, 42),
                new HeartbeatResponse(3, 1, 3, 42, 6),
                new ReadIndexRequest(2, 1, 3, 77),
                new ReadIndexResponse(1, 2, 3, 77, 6),
                new Propose(2, 1, 3, 78, List.of(new byte[] {9, 8}, new byte[0])),
                new ProposeResponse(1, 2, 3, 78, 7));
    }

    @Test
    void theSendersIdentityRoundTrips() {
        MessageCodec.Batch batch = MessageCodec.decode(encode(sample()));
        assertEquals(SENDER, batch.sender());
        PeerIdentity quiet = new PeerIdentity(0, 7);
        assertEquals(quiet, MessageCodec.decode(MessageCodec.encode(quiet, List.of())).sender());
    }

    @Test
    void theOldVersionIsRejectedByName() {
        byte[] old = encode(List.of());
        old[0] = 1;
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> MessageCodec.decode(old));
        assertTrue(refused.getMessage().contains("same version"), refused.getMessage());
    }

    @Test
    void forwardedReadsAndCommandsRoundTripFieldByField() {
        List<Message> decoded = decode(encode(sample()));
        assertEquals(new ReadIndexRequest(2, 1, 3, 77), decoded.get(6));
        assertEquals(new ReadIndexResponse(1, 2, 3, 77, 6), decoded.get(7));
        Propose propose = (Propose) decoded.get(8);
        assertEquals(List.of(2, 1, 3L, 78L), List.of(propose.from(), propose.to(), propose.term(), propose.context()));
        assertEquals(2, propose.payloads().size());
        assertArrayEquals(new byte[] {9, 8}, propose.payloads().get(0));
        assertArrayEquals(new byte[0], propose.payloads().get(1));
        assertEquals(new ProposeResponse(1, 2, 3, 78, 7), decoded.get(9));
    }

    @Test
    void proposeWithHugeOrNoCountIsRejected() {
        byte[] propose = encode(List.of(new Propose(2, 1, 3, 5, List.of(new byte[] {1}))));
        int countAt = BATCH_HEADER + 1 + 4 + 4 + 8 + 8;
        byte[] huge = propose.clone();
        ByteBuffer.wrap(huge).putInt(countAt, Integer.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> decode(huge));
        byte[] none = propose.clone();
        ByteBuffer.wrap(none).putInt(countAt, 0);
        assertThrows(IllegalArgumentException.class, () -> decode(none));
        byte[] hugePayload = propose.clone();
        ByteBuffer.wrap(hugePayload).putInt(countAt + 4, Integer.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> decode(hugePayload));
    }

    /** Decodes, accepting only success or IllegalArgumentException; anything else fails the test. */
    private static void decodeOrReject(byte[] bytes, long seed) {
        try {
            decode(bytes);
        } catch (IllegalArgumentException expected) {
            // The one allowed way to refuse.
        } catch (RuntimeException | OutOfMemoryError e) {
            throw new AssertionError("seed " + seed + ": decode threw " + e + " for " + Arrays.toString(
                    Arrays.copyOf(bytes, Math.min(bytes.length, 64))), e);
        }
    }

    @Test
    void validBatchesRoundTrip() {
        byte[] encoded = encode(sample());
        assertEquals(sample().toString().length(), decode(encoded).toString().length());
        assertEquals(decode(encoded).size(), sample().size());
    }

    @Test
    void everyTruncationIsRejected() {
        byte[] encoded = encode(sample());
        for (int length = 0; length < encoded.length; length++) {
            byte[] prefix = Arrays.copyOf(encoded, length);
            assertThrows(IllegalArgumentException.class, () -> decode(prefix), "prefix " + length);
        }
    }

    @Test
    void randomBytesAreRejectedWithIllegalArgumentOnly() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.println("MessageCodecFuzzTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < ROUNDS; i++) {
            byte[] bytes = new byte[random.nextInt(random.nextInt(10) == 0 ? 4096 : 64)];
            random.nextBytes(bytes);
            if (bytes.length > 0 && random.nextBoolean()) {
                bytes[0] = 2;
            }
            decodeOrReject(bytes, seed);
        }
    }

    @Test
    void mutatedValidBatchesDecodeOrAreRejected() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.println("MessageCodecFuzzTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        byte[] valid = encode(sample());
        for (int i = 0; i < ROUNDS; i++) {
            byte[] bytes = valid.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
            }
            decodeOrReject(bytes, seed);
        }
    }

    @Test
    void hugeCountsAndLengthsAreRejectedWithoutAllocating() {
        // A message count of 2^31-1 in a header-only body.
        assertThrows(IllegalArgumentException.class, () -> decode(ByteBuffer.allocate(BATCH_HEADER).put((byte) 2)
                .putLong(1).putLong(1).putInt(Integer.MAX_VALUE).array()));
        // An AppendEntries whose single entry claims a 2 GiB payload.
        byte[] append = encode(List.of(new AppendEntries(1, 2, 3, 0, 0,
                List.of(Entry.command(3, 1, new byte[0])), 0)));
        ByteBuffer.wrap(append).putInt(append.length - 4, Integer.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> decode(append));
        // Negative terms, zero ids, unknown kinds and versions.
        byte[] vote = encode(List.of(new RequestVote(1, 2, 3, 0, 0, false)));
        byte[] zeroFrom = vote.clone();
        ByteBuffer.wrap(zeroFrom).putInt(BATCH_HEADER + 1, 0);
        assertThrows(IllegalArgumentException.class, () -> decode(zeroFrom));
        byte[] negativeTerm = vote.clone();
        ByteBuffer.wrap(negativeTerm).putLong(BATCH_HEADER + 9, -1);
        assertThrows(IllegalArgumentException.class, () -> decode(negativeTerm));
        byte[] unknownKind = vote.clone();
        unknownKind[BATCH_HEADER] = 99;
        assertThrows(IllegalArgumentException.class, () -> decode(unknownKind));
        byte[] unknownVersion = vote.clone();
        unknownVersion[0] = 3;
        assertThrows(IllegalArgumentException.class, () -> decode(unknownVersion));
    }
}
