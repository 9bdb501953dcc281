package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.util.concurrent.atomic.AtomicInteger;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard ({@code GET /}) in a real browser: Debian's headless Chromium, driven through its chromedriver by
 * Selenium, against three nodes started from the fat jar. The page is opened on the leader, which is then killed:
 * the page must go on from the two others (cross-origin), show the dead node unreachable and the new leader,
 * write a key through its key browser (which the API then reads back) and show the fault a chaos feed reports.
 * The feed is a stand-in here (a tiny Vert.x server speaking the {@code /chaos/events} format of
 * docs/DASHBOARD.md); the chaos command has its own tests.
 *
 * <p>Every wait is on the page's DOM or the cluster's API, with a deadline. Needs {@code /usr/bin/chromium} and
 * {@code /usr/bin/chromedriver} (Debian's {@code chromium} and {@code chromium-driver}, which .ci/run installs);
 * without them the test is skipped, except under CI ({@code CI=true}), where it fails. It saves a screenshot to
 * {@code dashboard.screenshot} (target/dashboard.png unless set; docs/DASHBOARD.md says how to refresh
 * docs/dashboard.png).
 */
class DashboardIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration PAGE = Duration.ofSeconds(45);
    private static final int POLL_MS = 300;

    @TempDir
    Path dir;
    private JarCluster cluster;
    private WebDriver browser;
    private Vertx vertx;
    private final List<JsonObject> chaosEvents = new CopyOnWriteArrayList<>();
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private Thread writer;

    @BeforeEach
    void requireChromium() {
        Chromium.require("the dashboard's browser test");
    }

    @AfterEach
    void stop() throws Exception {
        writing.set(false);
        if (writer != null) {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        if (browser != null) {
            browser.quit();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (vertx != null) {
            vertx.close().await();
        }
    }

    @Test
    void pageFollowsTheClusterThroughALeaderKillWritesAKeyAndShowsTheChaosFeed() throws Exception {
        cluster = new JarCluster(dir, 3);
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int first = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
        int chaosPort = startChaosFeed();
        writer = startWriter();

        browser = chromium();
        // Opened on the leader, which normally is the one that dies below: from then on the page runs on what the
        // other two answer, cross-origin.
        browser.get(cluster.url(first) + "/?interval=" + POLL_MS + "&window=1&chaos=" + chaosPort);
        DashboardPage page = new DashboardPage(browser, PAGE, cluster::describeNodes);

        // All three members, with the right roles: one leader (the one the API names; the cluster may have held
        // an election since the page was opened) and two followers.
        AtomicInteger shown = new AtomicInteger();
        page.until("three members, one leader and two followers", d -> {
            Map<Integer, String> roles = roles(d);
            int leading = roles.entrySet().stream().filter(e -> e.getValue().equals("leader"))
                    .mapToInt(Map.Entry::getKey).findFirst().orElse(0);
            shown.set(leading);
            return roles.size() == 3 && leading != 0
                    && roles.values().stream().filter("follower"::equals).count() == 2
                    && leading == cluster.awaitLeader(List.of(1, 2, 3), START);
        });
        int leader = shown.get();
        // Without auth there is nothing to sign in to: neither the form nor the session control is on screen.
        assertFalse(browser.findElement(By.id("signin-form")).isDisplayed(), "no sign-in form without auth");
        assertFalse(browser.findElement(By.id("session")).isDisplayed(), "no sign-out control without auth");
        // The charts have points, and the write load shows as a rate above zero.
        page.until("the rate chart shows writes", d -> Double.parseDouble(text(d,
                "document.getElementById('chart-rate').dataset.points || '0'")) >= 3
                && Double.parseDouble(text(d, "document.getElementById('chart-rate').dataset.writeRate || '0'")) > 0);
        // The log table shows the writer's keys.
        page.until("the log table shows the load's keys", d -> text(d,
                "document.querySelector('#log tbody').textContent").contains("load/"));

        cluster.processes.get(leader).kill();
        chaosEvents.add(new JsonObject().put("seq", 1).put("time", Instant.now().toString()).put("kind", "kill")
                .put("target", "node " + leader).put("detail", "SIGKILL"));
        List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
        survivors.remove(Integer.valueOf(leader));
        // The survivors' leader as the API sees it and as the page shows it, the same one (re-read on every check:
        // a loaded machine may hold more than one election before the page and the API agree).
        AtomicInteger elected = new AtomicInteger();
        page.until("node " + leader + " unreachable and a survivor leading", d -> {
            Map<Integer, String> roles = roles(d);
            int now = cluster.awaitLeader(survivors, START);
            elected.set(now);
            return "unreachable".equals(roles.get(leader)) && "leader".equals(roles.get(now));
        });
        int next = elected.get();
        page.until("the banner names the dead node", d -> text(d, "document.getElementById('banner').textContent")
                .contains("node " + leader + " is unreachable"));
        page.until("the leader change listed", d -> text(d, "document.getElementById('leader-changes').textContent")
                .contains("node " + next + " leads"));
        page.until("the chaos feed's kill listed", d -> text(d, "(document.querySelector(\"#chaos-events "
                + "li[data-seq='1']\") || {textContent: ''}).textContent").contains("kill node " + leader));

        // A key written through the page's key browser (to a surviving member, cross-origin), read back by the API.
        String value = "written through the dashboard " + Instant.now();
        WebElement key = browser.findElement(By.id("edit-key"));
        key.clear();
        key.sendKeys("dashboard/probe");
        WebElement text = browser.findElement(By.id("edit-value"));
        text.clear();
        text.sendKeys(value);
        browser.findElement(By.id("put-button")).click();
        page.until("the page says it wrote the key", d -> text(d, "document.getElementById('edit-state').textContent")
                .startsWith("wrote dashboard/probe"));
        HttpResponse<String> read = cluster.get(next, "/v1/kv/dashboard/probe");
        assertEquals(200, read.statusCode(), read.body());
        assertEquals(value, new JsonObject(read.body()).getString("value"));
        // And the key browser lists it.
        WebElement prefix = browser.findElement(By.id("prefix"));
        prefix.clear();
        prefix.sendKeys("dashboard/");
        browser.findElement(By.id("list-button")).click();
        page.until("the key browser lists the key", d -> !d.findElements(
                By.cssSelector("#keys tbody tr[data-key='dashboard/probe']")).isEmpty());

        chaosEvents.add(new JsonObject().put("seq", 2).put("time", Instant.now().toString()).put("kind", "restart")
                .put("target", "node " + leader).put("detail", "screenshot"));
        page.until("the second chaos event listed", d -> !d.findElements(
                By.cssSelector("#chaos-events li[data-seq='2']")).isEmpty());
        saveScreenshot();
        assertNotEquals(leader, next);
    }

    /** The string value of a JavaScript expression evaluated in the page. */
    private static String text(WebDriver d, String expression) {
        return Chromium.text(d, expression);
    }

    private static Map<Integer, String> roles(WebDriver d) {
        return DashboardPage.roles(d);
    }

    private WebDriver chromium() {
        return Chromium.start(dir);
    }

    /** The chaos command's event feed, as docs/DASHBOARD.md describes it, serving {@link #chaosEvents}. */
    private int startChaosFeed() {
        vertx = Vertx.vertx();
        HttpServer server = vertx.createHttpServer().requestHandler(request -> {
            if (!request.path().equals("/chaos/events")) {
                request.response().setStatusCode(404).end();
                return;
            }
            long after = Long.parseLong(request.getParam("after", "0"));
            JsonArray events = new JsonArray();
            for (JsonObject event : chaosEvents) {
                if (event.getLong("seq") > after) {
                    events.add(event);
                }
            }
            request.response().putHeader("content-type", "application/json")
                    .putHeader("access-control-allow-origin", "*")
                    .end(new JsonObject().put("events", events).put("running", true).encode());
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }

    /** Writes keys load/0, load/1, … round the surviving nodes until the test ends, so the charts have a rate. */
    private Thread startWriter() {
        Thread thread = new Thread(() -> {
            int i = 0;
            while (writing.get()) {
                for (int id = 1; id <= 3 && writing.get(); id++) {
                    if (!cluster.processes.get(id).process.isAlive()) {
                        continue;
                    }
                    try {
                        cluster.http.send(HttpRequest.newBuilder(URI.create(cluster.url(id) + "/v1/kv/load/" + (i++ % 500)))
                                .timeout(Duration.ofSeconds(2)).PUT(HttpRequest.BodyPublishers.ofString("v" + i)).build(),
                                HttpResponse.BodyHandlers.discarding());
                        cluster.get(id, "/v1/kv/load/0");
                    } catch (java.io.IOException e) {
                        // a node going down under the writer: the next one gets the next write
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "dashboard-load");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void saveScreenshot() throws Exception {
        Path target = Path.of(System.getProperty("dashboard.screenshot", "target/dashboard.png"));
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0);");
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        if (target.getParent() != null) {
            Files.createDirectories(target.getParent());
        }
        Files.write(target, png);
    }
}
