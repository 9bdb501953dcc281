package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard under the load issue 18 names: 10 000 keys and a steady write load, the page polling every
 * 250 ms. Once the page's chart history is full (its one-minute window), the page's memory, its DOM and its
 * chart history must stay where they are for the rest of the run while the writes go on, and the page must go
 * on showing the cluster and listing keys a page at a time.
 *
 * <p>The run is measured in writes, not time: after the window fills, {@code dashboard.soakWrites} (default
 * 30 000, about half a minute at the 1 200 writes/s four writers make here) more acknowledged writes, with a
 * sample of the page after each sixth of them. {@code -Ddashboard.soakWrites=750000} makes it a soak of about
 * ten minutes. Each sample forces a
 * garbage collection in the page ({@code --js-flags=--expose-gc}) and reads the used JS heap
 * ({@code --enable-precise-memory-info}).
 */
class DashboardSoakIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final int KEYS = 10_000;
    private static final int WRITERS = 4;
    private static final int INTERVAL_MS = 250;
    /** The page keeps one window of points: ceil(60 000 / 250) + 2 (dashboard.js, MAX_POINTS). */
    private static final int WINDOW_POINTS = 60_000 / INTERVAL_MS + 2;
    private static final int SAMPLES = 6;
    /** Allowed growth of the page's JS heap from the first sample to the end, after a GC each time. */
    private static final long HEAP_GROWTH_MAX_BYTES = 1 << 20;
    private static final int DOM_GROWTH_MAX = 20;

    @TempDir
    Path dir;
    private JarCluster cluster;
    private WebDriver browser;
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final AtomicLong acknowledged = new AtomicLong();
    private ExecutorService writers;

    @BeforeEach
    void requireChromium() {
        Chromium.require("the dashboard's soak test");
    }

    @AfterEach
    void stop() throws Exception {
        writing.set(false);
        if (writers != null) {
            writers.shutdownNow();
            writers.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (browser != null) {
            browser.quit();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void tenThousandKeysAndAWriteLoadLeaveThePagesMemoryDomAndHistoryWhereTheyWere() throws Exception {
        long soakWrites = Long.getLong("dashboard.soakWrites", 30_000);
        cluster = new JarCluster(dir, 3);
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
        preload(leader);
        writers = Executors.newFixedThreadPool(WRITERS);
        for (int i = 0; i < WRITERS; i++) {
            writers.submit(this::write);
        }

        browser = Chromium.start(dir, "--js-flags=--expose-gc", "--enable-precise-memory-info");
        browser.get(cluster.url(leader) + "/?interval=" + INTERVAL_MS + "&window=1");
        WebDriverWait page = new WebDriverWait(browser, Duration.ofSeconds(120));
        page.pollingEvery(Duration.ofMillis(200));
        page.until(d -> Chromium.text(d, "document.querySelectorAll('#members tbody tr').length").equals("3"));

        // The key browser lists 10 000 keys a page at a time.
        browser.findElement(By.id("prefix")).sendKeys("soak/");
        browser.findElement(By.id("list-button")).click();
        page.until(d -> Chromium.text(d, "document.querySelectorAll('#keys tbody tr').length").equals("25")
                && Chromium.text(d, "document.getElementById('next-button').disabled").equals("false"));

        page.until(d -> Chromium.text(d, "document.getElementById('chart-rate').dataset.points")
                .equals(Integer.toString(WINDOW_POINTS)));
        List<Sample> samples = new ArrayList<>();
        samples.add(sample());
        long from = acknowledged.get();
        for (int i = 1; i <= SAMPLES; i++) {
            long target = from + soakWrites * i / SAMPLES;
            cluster.awaitWithLogs(Duration.ofSeconds(Math.max(120, soakWrites / 20)),
                    () -> acknowledged.get() >= target);
            samples.add(sample());
        }

        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        String report = "samples (heap bytes, DOM elements, chart points, write rate): " + samples;
        for (Sample s : samples) {
            assertEquals(WINDOW_POINTS, s.points(), "the chart history stays one window: " + report);
            assertTrue(s.domElements() <= first.domElements() + DOM_GROWTH_MAX, "the DOM does not grow: " + report);
            assertEquals(3, s.members(), "every member still shown: " + report);
        }
        // A sample's heap varies by a few hundred KB even after a GC; a leak raises the floor, so the lowest of
        // the last three samples is what must stay within the bound of the first.
        long floor = samples.subList(samples.size() - 3, samples.size()).stream().mapToLong(Sample::heapBytes)
                .min().orElseThrow();
        assertTrue(floor <= first.heapBytes() + HEAP_GROWTH_MAX_BYTES, "the heap does not grow: " + report);
        assertTrue(last.writeRate() > 0, "the page still charts the writes going on: " + report);
        System.out.println("DashboardSoakIT " + (acknowledged.get() - from) + " writes after the window filled; "
                + report);
    }

    private record Sample(long heapBytes, int domElements, int points, double writeRate, int members) {
        @Override
        public String toString() {
            return "(" + heapBytes + ", " + domElements + ", " + points + ", " + writeRate + ")";
        }
    }

    private Sample sample() {
        ((JavascriptExecutor) browser).executeScript("window.gc();");
        String[] fields = Chromium.text(browser, "[performance.memory.usedJSHeapSize,"
                + " document.getElementsByTagName('*').length,"
                + " document.getElementById('chart-rate').dataset.points,"
                + " document.getElementById('chart-rate').dataset.writeRate,"
                + " document.querySelectorAll('#members tbody tr').length].join(' ')").split(" ");
        return new Sample(Long.parseLong(fields[0]), Integer.parseInt(fields[1]), Integer.parseInt(fields[2]),
                Double.parseDouble(fields[3]), Integer.parseInt(fields[4]));
    }

    /** Writes soak/0000000000 … soak/0000009999 through the leader, 16 at a time. */
    private void preload(int leader) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int key = 0; key < KEYS; key++) {
                int k = key;
                statuses.add(pool.submit(() -> put(leader, k)));
            }
            for (Future<Integer> status : statuses) {
                assertEquals(200, status.get(60, TimeUnit.SECONDS), "a preload write");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Overwrites random keys of the 10 000 through random nodes until the test ends. */
    private void write() {
        while (writing.get()) {
            int node = 1 + ThreadLocalRandom.current().nextInt(3);
            try {
                if (put(node, ThreadLocalRandom.current().nextInt(KEYS)) == 200) {
                    acknowledged.incrementAndGet();
                }
            } catch (IOException e) {
                // a timeout or a node busy electing: the next write goes on
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private int put(int node, int key) throws IOException, InterruptedException {
        String name = String.format("soak/%010d", key);
        return cluster.http.send(HttpRequest.newBuilder(URI.create(cluster.url(node) + "/v1/kv/" + name))
                .timeout(Duration.ofSeconds(5)).PUT(HttpRequest.BodyPublishers.ofString("value of " + name + " "
                        + System.nanoTime())).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
