package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard on a cluster with auth on (three jar processes, {@code KVSTORE_AUTH=true}, a root password and a
 * cluster secret), in headless Chromium: the page, opened on a follower so that its calls to the leader are
 * cross-origin, asks to sign in; a wrong password shows the server's message; root signs in and sees the three
 * members with their roles, the leader's replication view and the log; a token the cluster refuses brings the
 * form back; a user who may only read {@code app/} lists and reads there, is told "not permitted" for the
 * cluster view, the log and a listing of every key, and finds put and delete off after the refused put; signing
 * out brings the form back. The token lives in sessionStorage only: never in localStorage, a cookie, the page's
 * URL or any URL the page fetched.
 *
 * <p>Every wait is on the page's DOM or the cluster's API, with a deadline (see {@link DashboardPage}). Needs
 * Chromium as {@link DashboardIT} does.
 */
class DashboardAuthIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration PAGE = Duration.ofSeconds(45);
    private static final int POLL_MS = 300;
    private static final String ROOT_PASSWORD = "root-password-of-the-dashboard-test";
    private static final String READER = "alice";
    private static final String READER_PASSWORD = "alice-reads-app-only";
    private static final String VALUE = "hello from root";

    @TempDir
    Path dir;
    private JarCluster cluster;
    private WebDriver browser;

    @BeforeEach
    void requireChromium() {
        Chromium.require("the dashboard's sign-in browser test");
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void signInOnAnAuthClusterAsRootAndAsAReaderOfOnePrefixThenSignOut() throws Exception {
        cluster = new JarCluster(dir, 3);
        cluster.environment.putAll(Map.of("KVSTORE_AUTH", "true", "KVSTORE_AUTH_ROOT_PASSWORD", ROOT_PASSWORD,
                "KVSTORE_AUTH_BCRYPT_COST", "4", "KVSTORE_CLUSTER_SECRET", "the-dashboard-test-cluster-secret"));
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
        String rootToken = login(leader, "root", ROOT_PASSWORD);
        assertOk(call(leader, "PUT", "/v1/auth/roles/app-reader",
                "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}", rootToken));
        assertOk(call(leader, "PUT", "/v1/auth/users/" + READER, new JsonObject().put("password", READER_PASSWORD)
                .put("roles", new JsonArray().add("app-reader")).encode(), rootToken));
        assertOk(call(leader, "PUT", "/v1/kv/app/x", VALUE, rootToken));
        assertOk(call(leader, "PUT", "/v1/kv/other/y", "not alice's", rootToken));
        int follower = leader == 1 ? 2 : 1;

        browser = Chromium.start(dir);
        browser.get(cluster.url(follower) + "/?interval=" + POLL_MS + "&window=1");
        DashboardPage page = new DashboardPage(browser, PAGE, cluster::describeNodes);

        // Signed out: the members' own status is open, everything else asks for a token.
        page.until("the sign-in form", d -> shown(d, "signin-form")
                && text(d, "signin-reason").contains("sign in"));
        page.until("three members with roles while signed out", d -> DashboardPage.roles(d).size() == 3);

        signIn("root", "not-the-root-password");
        page.until("the server's refusal of a wrong password", d -> text(d, "signin-state")
                .equals("sign-in failed: wrong user name or password"));
        assertTrue(shown(browser, "signin-form"));
        assertEquals("null", js(browser, "sessionStorage.getItem('rafty.token')"));
        assertEquals("", js(browser, "document.getElementById('signin-password').value"), "the password field is cleared");

        signIn("root", ROOT_PASSWORD);
        page.until("root signed in", d -> !shown(d, "signin-form") && shown(d, "session")
                && text(d, "session-user").equals("signed in as root"));
        page.until("three members, one leader and two followers, with the leader's replication view", d -> {
            Map<Integer, String> roles = DashboardPage.roles(d);
            String replication = js(d, "[...document.querySelectorAll('#members td.replication')]"
                    + ".map(c => c.textContent).sort().join(',')");
            return roles.size() == 3 && roles.values().stream().filter("leader"::equals).count() == 1
                    && roles.values().stream().filter("follower"::equals).count() == 2
                    && replication.equals("self,voter,voter");
        });
        page.until("the log, which needs root", d -> js(d, "document.querySelector('#log tbody').textContent")
                .contains("app/x"));
        String token = js(browser, "sessionStorage.getItem('rafty.token')");
        assertTrue(token.length() > 20, "a token in sessionStorage: " + token.length() + " characters");
        assertTokenOnlyInSessionStorage(token);
        assertOk(call(leader, "GET", "/v1/cluster", null, token));

        // A token the cluster refuses (expired, revoked, or garbage as here) signs the page out, saying why.
        ((JavascriptExecutor) browser).executeScript("sessionStorage.setItem('rafty.token', 'not-a-token');");
        page.until("the form back after a refused token", d -> shown(d, "signin-form")
                && text(d, "signin-reason").startsWith("Signed out: ")
                && text(d, "signin-reason").endsWith("Sign in again."));
        assertEquals("null", js(browser, "sessionStorage.getItem('rafty.token')"));

        signIn(READER, READER_PASSWORD);
        page.until(READER + " signed in", d -> !shown(d, "signin-form") && shown(d, "session")
                && text(d, "session-user").equals("signed in as " + READER));
        String notPermitted = "not permitted for " + READER;
        page.until("the cluster view refused", d -> text(d, "members-note").contains(notPermitted));
        page.until("the log refused", d -> text(d, "log-source").contains(notPermitted));
        page.until("the members still shown", d -> DashboardPage.roles(d).values().stream()
                .filter("leader"::equals).count() == 1);
        list("");
        page.until("a listing of every key refused", d -> text(d, "list-state").contains(notPermitted));
        list("app/");
        page.until("the keys under app/ listed", d -> !d.findElements(
                By.cssSelector("#keys tbody tr[data-key='app/x']")).isEmpty());
        browser.findElement(By.cssSelector("#keys tbody tr[data-key='app/x']")).click();
        page.until("app/x read", d -> text(d, "value-view").equals(VALUE));

        WebElement value = browser.findElement(By.id("edit-value"));
        value.clear();
        value.sendKeys("alice was here");
        browser.findElement(By.id("put-button")).click();
        page.until("the put refused and put and delete off", d -> text(d, "edit-state").contains(notPermitted)
                && js(d, "document.getElementById('put-button').disabled").equals("true")
                && js(d, "document.getElementById('delete-button').disabled").equals("true")
                && js(d, "document.getElementById('delete-button').title").contains(notPermitted));
        saveScreenshot();
        HttpResponse<String> unchanged = call(leader, "GET", "/v1/kv/app/x", null, rootToken);
        assertEquals(VALUE, new JsonObject(unchanged.body()).getString("value"), unchanged.body());
        // Reads the user may do keep working.
        browser.findElement(By.id("get-button")).click();
        page.until("app/x read again", d -> text(d, "edit-state").startsWith("app/x: revision"));
        assertTokenOnlyInSessionStorage(js(browser, "sessionStorage.getItem('rafty.token')"));

        browser.findElement(By.id("signout-button")).click();
        page.until("the form back after signing out", d -> shown(d, "signin-form")
                && text(d, "signin-reason").equals("Signed out.") && !shown(d, "session"));
        assertEquals("null", js(browser, "sessionStorage.getItem('rafty.token')"));
        assertEquals("0", js(browser, "localStorage.length"));
        assertEquals("0", js(browser, "document.querySelectorAll('#keys tbody tr').length"),
                "what the user read is gone with the token");

        // Nothing the page sent or held reached a node's log.
        for (Map.Entry<Integer, JarProcess> node : cluster.processes.entrySet()) {
            String logged = node.getValue().output();
            for (String secret : List.of(ROOT_PASSWORD, READER_PASSWORD, "not-the-root-password", token)) {
                assertFalse(logged.contains(secret), "node " + node.getKey() + "'s log holds a password or token");
            }
        }
    }

    // ----- the page -----------------------------------------------------------------------------

    private void signIn(String user, String password) {
        WebElement name = browser.findElement(By.id("signin-user"));
        name.clear();
        name.sendKeys(user);
        WebElement secret = browser.findElement(By.id("signin-password"));
        secret.clear();
        secret.sendKeys(password);
        browser.findElement(By.id("signin-button")).click();
    }

    private void list(String prefix) {
        WebElement field = browser.findElement(By.id("prefix"));
        field.clear();
        field.sendKeys(prefix);
        browser.findElement(By.id("list-button")).click();
    }

    /** The token is in sessionStorage and nowhere else the page could leak it from. */
    private void assertTokenOnlyInSessionStorage(String token) {
        assertEquals(token, js(browser, "sessionStorage.getItem('rafty.token')"));
        assertEquals("0", js(browser, "localStorage.length"), "nothing in localStorage");
        assertFalse(js(browser, "document.cookie").contains(token), "no cookie holds the token");
        assertFalse(js(browser, "location.href").contains(token), "the page's URL holds no token");
        String fetched = js(browser, "performance.getEntriesByType('resource').map(e => e.name).join(' ')");
        assertTrue(fetched.contains("/v1/"), "the page's fetches are listed: " + fetched.length());
        assertFalse(fetched.contains(token), "no URL the page fetched holds the token");
    }

    /** Whether the element is on screen: not hidden, and laid out (CSS could override the hidden attribute). */
    private static boolean shown(WebDriver d, String id) {
        return js(d, "(e => !e.hidden && getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)"
                + "(document.getElementById('" + id + "'))").equals("true");
    }

    private static String text(WebDriver d, String id) {
        return js(d, "document.getElementById('" + id + "').textContent");
    }

    private static String js(WebDriver d, String expression) {
        return DashboardPage.text(d, expression);
    }

    /** The page as the reader sees it, refused, to {@code dashboard.authScreenshot} (target/dashboard-auth.png). */
    private void saveScreenshot() throws IOException {
        Path target = Path.of(System.getProperty("dashboard.authScreenshot", "target/dashboard-auth.png"));
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0);");
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        if (target.getParent() != null) {
            Files.createDirectories(target.getParent());
        }
        Files.write(target, png);
    }

    // ----- the API ------------------------------------------------------------------------------

    private HttpResponse<String> call(int node, String method, String path, String body, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = cluster.request(node, path, Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("authorization", "Bearer " + token);
        }
        return cluster.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Logs in, retrying while the node is still enabling auth (503) or not answering. */
    private String login(int node, String user, String password) {
        AtomicReference<String> token = new AtomicReference<>();
        String body = new JsonObject().put("user", user).put("password", password).encode();
        cluster.awaitWithLogs(START, () -> {
            HttpResponse<String> response;
            try {
                response = call(node, "POST", "/v1/auth/token", body, null);
            } catch (IOException e) {
                return false;
            }
            if (!Set.of(200, 503).contains(response.statusCode())) {
                throw new AssertionError("login as " + user + ": " + response.statusCode() + " " + response.body());
            }
            if (response.statusCode() == 200) {
                token.set(new JsonObject(response.body()).getString("token"));
            }
            return token.get() != null;
        });
        return token.get();
    }

    private static void assertOk(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.request().method() + " " + response.request().uri()
                + " → " + response.body());
    }
}
