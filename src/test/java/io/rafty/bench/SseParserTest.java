package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The watch bench's SSE parser: what it reports from Rafty's watch stream, however the bytes are cut. */
class SseParserTest {

    /** What a listener heard, one line per call. */
    private static final class Heard implements SseParser.Listener {
        final List<String> calls = new ArrayList<>();

        @Override
        public void created() {
            calls.add("created");
        }

        @Override
        public void change(long revision) {
            calls.add("change " + revision);
        }

        @Override
        public void cancelled(String reason) {
            calls.add("cancelled " + reason);
        }

        @Override
        public void malformed(String problem) {
            calls.add("malformed " + problem);
        }
    }

    private static String change(long revision, int valueBytes) {
        String value = "v".repeat(valueBytes);
        return "id: " + revision + "\nevent: change\ndata: {\"revision\":" + revision + ",\"events\":[{\"type\":\"put\","
                + "\"key\":\"bench/0000000042\",\"value\":\"" + value + "\",\"createRevision\":3,\"modRevision\":"
                + revision + ",\"version\":2,\"lease\":0}]}\n\n";
    }

    /** A stream as WatchRoute writes it: created, keepalives, changes (short and longer than a line head), progress, cancelled. */
    private static final String STREAM = "event: created\ndata: {\"revision\":41}\n\n"
            + ":\n\n"
            + change(42, 0)
            + change(43, 256)
            + ":\n\n"
            + "id: 43\nevent: progress\ndata: {\"revision\":43}\n\n"
            + change(1_234_567_890_123L, 3 * SseParser.HEAD_BYTES)
            + "event: cancelled\ndata: {\"reason\":\"slow_watcher\",\"revision\":1234567890123}\n\n";

    private static final List<String> HEARD = List.of("created", "change 42", "change 43", "change 1234567890123",
            "cancelled slow_watcher");

    private static List<String> parse(byte[]... pieces) {
        Heard heard = new Heard();
        SseParser parser = new SseParser(heard);
        for (byte[] piece : pieces) {
            parser.feed(Buffer.buffer(piece));
        }
        return heard.calls;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void reportsCreatedChangesWithTheirIdsAndCancelledIgnoringCommentsAndProgress() {
        assertEquals(HEARD, parse(bytes(STREAM)));
    }

    @Test
    void aStreamCutAtEveryBytePositionParsesTheSame() {
        byte[] stream = bytes(STREAM);
        for (int cut = 0; cut <= stream.length; cut++) {
            byte[] first = java.util.Arrays.copyOfRange(stream, 0, cut);
            byte[] second = java.util.Arrays.copyOfRange(stream, cut, stream.length);
            assertEquals(HEARD, parse(first, second), "cut at byte " + cut);
        }
    }

    @Test
    void aStreamFedOneByteAtATimeParsesTheSame() {
        Heard heard = new Heard();
        SseParser parser = new SseParser(heard);
        byte[] stream = bytes(STREAM);
        for (int i = 0; i < stream.length; i++) {
            parser.feed(stream, i, 1);
        }
        assertEquals(HEARD, heard.calls);
    }

    @Test
    void crlfLineEndsParseLikeLf() {
        assertEquals(HEARD, parse(bytes(STREAM.replace("\n", "\r\n"))));
    }

    @Test
    void aChangeWithoutANumericIdIsMalformed() {
        assertEquals(List.of("malformed a change message without a numeric id",
                        "malformed a change message without a numeric id", "change 7"),
                parse(bytes("event: change\ndata: {}\n\nid: seven\nevent: change\ndata: {}\n\n" + change(7, 10))));
    }

    @Test
    void anIdDoesNotCarryOverToTheNextMessage() {
        // A browser keeps the last id; every Rafty change carries its own, so one without is reported.
        assertEquals(List.of("change 5", "malformed a change message without a numeric id"),
                parse(bytes(change(5, 1) + "event: change\ndata: {}\n\n")));
    }

    @Test
    void unknownEventsUnnamedMessagesAndLoneCommentsAreIgnored() {
        assertEquals(List.of("change 9"), parse(bytes(": hello\n\nevent: other\ndata: x\n\ndata: unnamed\n\n"
                + "retry: 1000\n\n" + change(9, 2))));
    }

    @Test
    void aCancelledMessageWithoutAReasonSaysUnknown() {
        assertEquals(List.of("cancelled unknown"), parse(bytes("event: cancelled\ndata: {\"revision\":3}\n\n")));
    }

    @Test
    void anOverlongEventLineIsMalformedAndItsMessageDropped() {
        String longName = "x".repeat(2 * SseParser.HEAD_BYTES);
        assertEquals(List.of("malformed an event line longer than " + SseParser.HEAD_BYTES + " bytes", "change 4"),
                parse(bytes("id: 3\nevent: " + longName + "\ndata: {}\n\n" + change(4, 1))));
    }

    @Test
    void aMessageIsDispatchedOnlyAtItsBlankLine() {
        String text = change(11, 20);
        assertEquals(List.of(), parse(bytes(text.substring(0, text.length() - 1))));
        assertEquals(List.of("change 11"), parse(bytes(text)));
    }
}
