package io.rafty.e2e;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a browser as its tests read it: every wait is on the DOM with a deadline, and a timeout fails
 * with what the page showed and what the cluster said ({@code context}, e.g. {@link JarCluster#describeNodes}).
 * The page re-renders its tables several times a second, so conditions read the DOM in one script each
 * ({@link #text}) rather than through element handles that go stale between two calls.
 */
final class DashboardPage {

    private final WebDriver browser;
    private final Duration budget;
    private final WebDriverWait wait;
    private final Supplier<String> context;

    DashboardPage(WebDriver browser, Duration budget, Supplier<String> context) {
        this.browser = browser;
        this.budget = budget;
        this.context = context;
        this.wait = new WebDriverWait(browser, budget);
        wait.ignoring(StaleElementReferenceException.class).pollingEvery(Duration.ofMillis(100));
    }

    /** Waits for {@code condition}; on timeout, fails with the page's text and the context. */
    void until(String what, Function<WebDriver, Boolean> condition) {
        try {
            wait.until(condition::apply);
        } catch (TimeoutException e) {
            String shown;
            try {
                shown = text(browser, "document.body.innerText");
            } catch (RuntimeException unreadable) {
                shown = "(the page could not be read: " + unreadable + ")";
            }
            throw new AssertionError("the dashboard did not show " + what + " within " + budget + "; it showed:\n"
                    + shown + context.get(), e);
        }
    }

    /** The string value of a JavaScript expression evaluated in the page. */
    static String text(WebDriver d, String expression) {
        return Chromium.text(d, expression);
    }

    /** Each member row's id and the role it shows, read in one script. */
    static Map<Integer, String> roles(WebDriver d) {
        Map<Integer, String> roles = new HashMap<>();
        String rows = text(d, "[...document.querySelectorAll('#members tbody tr')].map(r => r.dataset.member + '='"
                + " + r.querySelector('td.role').textContent).join('\\n')");
        for (String row : rows.split("\n")) {
            int equals = row.indexOf('=');
            if (equals > 0) {
                roles.put(Integer.parseInt(row.substring(0, equals)), row.substring(equals + 1));
            }
        }
        return roles;
    }
}
