package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CommandCodecTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Command roundTrip(Command command) {
        return CommandCodec.decode(CommandCodec.encode(command));
    }

    @Test
    void putWithoutPreconditionRoundTrips() {
        Command.Put decoded = assertInstanceOf(Command.Put.class,
                roundTrip(new Command.Put(bytes("a/b"), bytes("value"), Precondition.NONE)));
        assertArrayEquals(bytes("a/b"), decoded.key());
        assertArrayEquals(bytes("value"), decoded.value());
        assertSame(Precondition.NONE, decoded.precondition());
    }

    @Test
    void putWithEveryPreconditionRoundTrips() {
        Precondition precondition = new Precondition(bytes("old"), 42L, true);
        Command.Put decoded = assertInstanceOf(Command.Put.class,
                roundTrip(new Command.Put(bytes("k"), new byte[] {(byte) 0xFF, 0}, precondition)));
        assertArrayEquals(new byte[] {(byte) 0xFF, 0}, decoded.value());
        assertArrayEquals(bytes("old"), decoded.precondition().prevValue());
        assertEquals(42L, decoded.precondition().prevRevision());
        assertEquals(Boolean.TRUE, decoded.precondition().prevExist());
    }

    @Test
    void deleteWithPrevExistFalseAndRevisionZeroRoundTrips() {
        Command.Delete decoded = assertInstanceOf(Command.Delete.class,
                roundTrip(new Command.Delete(bytes("k"), new Precondition(null, 0L, false))));
        assertArrayEquals(bytes("k"), decoded.key());
        assertNull(decoded.precondition().prevValue());
        assertEquals(0L, decoded.precondition().prevRevision());
        assertEquals(Boolean.FALSE, decoded.precondition().prevExist());
    }

    @Test
    void emptyValueAndEmptyPrevValueStayDistinctFromAbsent() {
        Command.Put decoded = assertInstanceOf(Command.Put.class,
                roundTrip(new Command.Put(bytes("k"), new byte[0], new Precondition(new byte[0], null, null))));
        assertArrayEquals(new byte[0], decoded.value());
        assertArrayEquals(new byte[0], decoded.precondition().prevValue());
    }

    @Test
    void nullPreconditionIsEncodedAsNone() {
        assertSame(Precondition.NONE, ((Command.Delete) roundTrip(new Command.Delete(bytes("k"), null))).precondition());
    }

    @Test
    void formatStartsWithVersionThenType() {
        byte[] encoded = CommandCodec.encode(new Command.Delete(bytes("k"), Precondition.NONE));
        assertEquals(CommandCodec.FORMAT_VERSION, encoded[0]);
        assertEquals(CommandCodec.TYPE_DELETE, encoded[1]);
    }

    @Test
    void everyTruncationOfAValidCommandIsRejected() {
        byte[] encoded = CommandCodec.encode(
                new Command.Put(bytes("key"), bytes("value"), new Precondition(bytes("old"), 7L, true)));
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(truncated), "length " + length);
        }
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Delete(bytes("k"), Precondition.NONE));
        byte[] padded = Arrays.copyOf(encoded, encoded.length + 1);
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(padded));
    }

    @Test
    void unknownVersionIsRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Delete(bytes("k"), Precondition.NONE));
        encoded[0] = 99;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(encoded));
    }

    @Test
    void unknownTypeIsRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Delete(bytes("k"), Precondition.NONE));
        encoded[1] = 9;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(encoded));
    }

    @Test
    void unknownPreconditionFlagIsRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Delete(bytes("k"), Precondition.NONE));
        encoded[encoded.length - 1] = (byte) 0x80;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(encoded));
    }

    @Test
    void negativeOrOversizedLengthIsRejectedWithoutAllocating() {
        byte[] negative = ByteBuffer.allocate(7).put((byte) 1).put((byte) 2).putInt(-1).put((byte) 0).array();
        byte[] huge = ByteBuffer.allocate(7).put((byte) 1).put((byte) 2).putInt(Integer.MAX_VALUE).put((byte) 0).array();
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(negative));
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(huge));
    }

    @Test
    void emptyInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(new byte[0]));
    }
}
