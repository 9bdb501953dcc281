package io.rafty.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The dashboard's chaos feed: events after a sequence number, CORS, bounded pages, clear errors. */
class ChaosFeedTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(ChaosFeed feed, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + feed.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void feedAnswersTheEventsAfterASequenceNumberWithCors() throws Exception {
        ChaosEvents events = new ChaosEvents(System.nanoTime());
        events.record(ChaosEvents.Kind.KILL, "node 2", "SIGKILL");
        events.record(ChaosEvents.Kind.PARTITION, "1->3", "cut");
        events.record(ChaosEvents.Kind.HEAL, "1->3", "");
        try (ChaosFeed feed = ChaosFeed.start(events, 0)) {
            HttpResponse<String> response = get(feed, "/chaos/events?after=1");
            assertEquals(200, response.statusCode());
            assertEquals("*", response.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
            JsonObject body = new JsonObject(response.body());
            assertTrue(body.getBoolean("running"));
            JsonArray list = body.getJsonArray("events");
            assertEquals(2, list.size());
            JsonObject first = list.getJsonObject(0);
            assertEquals(2, first.getLong("seq"));
            assertEquals("partition", first.getString("kind"));
            assertEquals("1->3", first.getString("target"));
            assertEquals("cut", first.getString("detail"));
            assertTrue(first.getString("time").matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), first.getString("time"));

            events.record(ChaosEvents.Kind.VERDICT, "cluster", "chaos PASS: ...");
            events.finish();
            JsonObject done = new JsonObject(get(feed, "/chaos/events?after=3").body());
            assertFalse(done.getBoolean("running"));
            assertEquals("verdict", done.getJsonArray("events").getJsonObject(0).getString("kind"));
            assertEquals(4, new JsonObject(get(feed, "/chaos/events").body()).getJsonArray("events").size());
        }
    }

    @Test
    void badRequestsGetAJsonErrorNotAStackTrace() throws Exception {
        try (ChaosFeed feed = ChaosFeed.start(new ChaosEvents(System.nanoTime()), 0)) {
            HttpResponse<String> bad = get(feed, "/chaos/events?after=-1");
            assertEquals(400, bad.statusCode());
            assertEquals("invalid_after", new JsonObject(bad.body()).getString("error"));
            assertEquals(400, get(feed, "/chaos/events?after=x").statusCode());
            assertEquals(404, get(feed, "/elsewhere").statusCode());
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + feed.port()
                    + "/chaos/events")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void eventLogKeepsTheNewestAndPagesAreBounded() {
        ChaosEvents events = new ChaosEvents(System.nanoTime());
        for (int i = 0; i < ChaosEvents.MAX_EVENTS_KEPT + 5; i++) {
            events.record(ChaosEvents.Kind.SLOW, "1->2", "delay 20 ms");
        }
        assertEquals(ChaosEvents.MAX_EVENTS_KEPT, events.all().size());
        assertEquals(6, events.all().get(0).seq());
        assertEquals(ChaosEvents.MAX_EVENTS_PER_READ, events.after(0).size());
        assertEquals(ChaosEvents.MAX_EVENTS_KEPT + 5, events.after(ChaosEvents.MAX_EVENTS_KEPT + 4).get(0).seq());
    }

    @Test
    void faultListsParseAndUnknownFaultsAreNamed() {
        assertEquals(EnumSet.of(FaultKind.KILL, FaultKind.SLOW), FaultKind.parse("kill, SLOW"));
        assertEquals(EnumSet.allOf(FaultKind.class), FaultKind.parse("all"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultKind.parse("kill,nuke"));
        assertTrue(e.getMessage().contains("nuke"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaultKind.parse(" , "));
    }
}
