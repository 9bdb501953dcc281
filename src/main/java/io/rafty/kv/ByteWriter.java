package io.rafty.kv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable big-endian byte buffer for the auth encodings (the kv package does no I/O, java.io included). */
final class ByteWriter {

    private byte[] bytes = new byte[64];
    private int size;

    private void room(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }

    ByteWriter writeByte(int value) {
        room(1);
        bytes[size++] = (byte) value;
        return this;
    }

    ByteWriter writeInt(int value) {
        room(4);
        for (int shift = 24; shift >= 0; shift -= 8) {
            bytes[size++] = (byte) (value >>> shift);
        }
        return this;
    }

    ByteWriter writeLong(long value) {
        room(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[size++] = (byte) (value >>> shift);
        }
        return this;
    }

    /** An i32 length, then the bytes. */
    ByteWriter writeBytes(byte[] value) {
        writeInt(value.length);
        room(value.length);
        System.arraycopy(value, 0, bytes, size, value.length);
        size += value.length;
        return this;
    }

    /** UTF-8 bytes, as {@link #writeBytes}. */
    ByteWriter writeString(String text) {
        return writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }
}
