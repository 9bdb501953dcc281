package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of a Server-Sent Events parser for the watch bench: it reads Rafty's watch stream
 * (DESIGN §4, {@code io.rafty.api.WatchRoute}) as its bytes arrive, cut anywhere, and reports the
 * messages a watcher counts: {@code created}, each {@code change} with the revision of its {@code id:}
 * line, and {@code cancelled} with its reason. Comment lines (keepalives), {@code progress} messages
 * and events of other names are read and dropped.
 *
 * <p>It is built to cost the generator little per message, because the generator shares the machine
 * with the nodes it measures: no allocation per message, no JSON parse, and {@code data:} lines —
 * nearly all of a change's bytes — are skipped by a scan for the line feed without being copied. Only
 * the first {@value #HEAD_BYTES} bytes of the other lines are kept; the data line of a
 * {@code cancelled} message is the one data line read, for its reason.
 *
 * <p>Lines end with LF or CRLF. A lone CR, which SSE also allows, is not taken as a line end: Rafty
 * never sends one. Unlike a browser, the parser does not carry an {@code id} over to the next message:
 * every Rafty change names its own revision, and a change without one is reported as malformed.
 *
 * <p>Not thread-safe: one parser per stream, fed on the stream's event loop.
 */
final class SseParser {

    /** What the parser reports; called from inside {@link #feed}. */
    interface Listener {
        /** An {@code event: created} message. */
        void created();

        /** An {@code event: change} message with {@code id: revision}. */
        void change(long revision);

        /** An {@code event: cancelled} message; {@code reason} is its data's reason, or "unknown". */
        void cancelled(String reason);

        /** Something that is not Rafty's watch format, e.g. a change without a numeric id. */
        void malformed(String problem);
    }

    /** Bytes kept of a line other than a skipped data line; an id or event line longer than this is malformed. */
    static final int HEAD_BYTES = 128;
    /** Bytes after which a line is known to be worth keeping or not: the length of {@code "event:"}. */
    private static final int DECIDE_AT = 6;
    /** Digits of the largest revision accepted: fewer than {@code Long.MAX_VALUE} has. */
    private static final int MAX_ID_DIGITS = 18;

    private static final byte[] ID = ascii("id:");
    private static final byte[] EVENT = ascii("event:");
    private static final byte[] DATA = ascii("data:");
    private static final byte[] CREATED = ascii("created");
    private static final byte[] CHANGE = ascii("change");
    private static final byte[] PROGRESS = ascii("progress");
    private static final byte[] CANCELLED = ascii("cancelled");
    private static final String REASON_FIELD = "\"reason\":\"";

    private enum Event { NONE, CREATED, CHANGE, PROGRESS, CANCELLED, OTHER }

    private final Listener listener;
    private final byte[] head = new byte[HEAD_BYTES];
    /** Bytes of the current line kept in {@link #head}. */
    private int lineLength;
    /** The rest of the current line is passed over up to its line feed. */
    private boolean skipping;
    /** The current message has a field line (not only comments): a blank line ends a message then. */
    private boolean hasFields;
    private Event event = Event.NONE;
    /** The current message's id, -1 when it has none (or one that is not a revision). */
    private long id = -1;
    private String reason;

    SseParser(Listener listener) {
        this.listener = listener;
    }

    /** Parses the next bytes of the stream. */
    void feed(Buffer chunk) {
        byte[] bytes = chunk.getBytes();
        feed(bytes, 0, bytes.length);
    }

    /** Parses {@code length} more bytes of the stream from {@code bytes[offset]}. */
    void feed(byte[] bytes, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (skipping) {
                while (i < end && bytes[i] != '\n') {
                    i++;
                }
                if (i == end) {
                    return;
                }
                i++;
                skipping = false;
                lineLength = 0;
                continue;
            }
            byte b = bytes[i++];
            if (b == '\n') {
                endLine();
                continue;
            }
            if (lineLength == HEAD_BYTES) {
                // A kept line longer than the head: use what is kept, pass over the rest.
                field(lineLength, true);
                skipping = true;
                continue;
            }
            head[lineLength++] = b;
            if (lineLength == DECIDE_AT && !worthKeeping()) {
                if (head[0] != ':') {
                    hasFields = true;
                }
                skipping = true;
            }
        }
    }

    /** An id or event line, or the data line of a cancelled message: the lines whose content is read. */
    private boolean worthKeeping() {
        return startsWith(ID, lineLength) || startsWith(EVENT, lineLength)
                || (event == Event.CANCELLED && startsWith(DATA, lineLength));
    }

    private void endLine() {
        int length = lineLength;
        lineLength = 0;
        if (length > 0 && head[length - 1] == '\r') {
            length--;
        }
        if (length == 0) {
            dispatch();
            return;
        }
        if (head[0] == ':') {
            return;
        }
        hasFields = true;
        field(length, false);
    }

    /** Reads a kept line of {@code length} bytes in {@link #head}; {@code truncated} when it was longer. */
    private void field(int length, boolean truncated) {
        hasFields = true;
        if (startsWith(ID, length)) {
            id = truncated ? -1 : revision(value(ID, length), length);
        } else if (startsWith(EVENT, length)) {
            if (truncated) {
                event = Event.OTHER;
                listener.malformed("an event line longer than " + HEAD_BYTES + " bytes");
                return;
            }
            int from = value(EVENT, length);
            event = matches(CREATED, from, length) ? Event.CREATED
                    : matches(CHANGE, from, length) ? Event.CHANGE
                    : matches(PROGRESS, from, length) ? Event.PROGRESS
                    : matches(CANCELLED, from, length) ? Event.CANCELLED : Event.OTHER;
        } else if (event == Event.CANCELLED && startsWith(DATA, length)) {
            reason = reason(new String(head, 0, length, StandardCharsets.UTF_8));
        }
    }

    private void dispatch() {
        if (hasFields) {
            switch (event) {
                case CREATED -> listener.created();
                case CHANGE -> {
                    if (id >= 0) {
                        listener.change(id);
                    } else {
                        listener.malformed("a change message without a numeric id");
                    }
                }
                case CANCELLED -> listener.cancelled(reason == null ? "unknown" : reason);
                case NONE, PROGRESS, OTHER -> {
                    // Progress says only that nothing older is still to come; the bench does not need it.
                }
            }
        }
        hasFields = false;
        event = Event.NONE;
        id = -1;
        reason = null;
    }

    /** Where a field's value starts: after its name and colon, and one space if there is one. */
    private int value(byte[] name, int length) {
        int from = name.length;
        return from < length && head[from] == ' ' ? from + 1 : from;
    }

    /** The decimal number in {@code head[from, length)}, or -1 when it is not one. */
    private long revision(int from, int length) {
        int digits = length - from;
        if (digits < 1 || digits > MAX_ID_DIGITS) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < length; i++) {
            int digit = head[i] - '0';
            if (digit < 0 || digit > 9) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value;
    }

    private static String reason(String dataLine) {
        int at = dataLine.indexOf(REASON_FIELD);
        if (at < 0) {
            return null;
        }
        int from = at + REASON_FIELD.length();
        int to = dataLine.indexOf('"', from);
        return to < 0 ? null : dataLine.substring(from, to);
    }

    /** Whether the first {@code length} bytes of {@link #head} start with {@code prefix}. */
    private boolean startsWith(byte[] prefix, int length) {
        if (length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (head[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean matches(byte[] name, int from, int length) {
        if (length - from != name.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (head[from + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
