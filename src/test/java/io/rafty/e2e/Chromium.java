package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven through its chromedriver, for the dashboard's browser tests. Without
 * {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} a test is skipped, except under CI
 * ({@code CI=true}, where .ci/run installs them), where it fails.
 */
final class Chromium {

    static final Path BINARY = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {
    }

    /** Skips the calling test (fails it under CI) when Chromium or its driver is missing. */
    static void require(String test) {
        boolean installed = Files.isExecutable(BINARY) && Files.isExecutable(DRIVER);
        String missing = "Chromium and its driver are not installed (" + BINARY + ", " + DRIVER
                + "; apt-get install chromium chromium-driver)";
        if (!installed && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(missing + ": CI must run " + test + " (.ci/run installs them)");
        }
        assumeTrue(installed, missing + "; skipping " + test);
    }

    /** A headless browser with its profile and driver log under {@code dir}, and {@code extraArguments}. */
    static WebDriver start(Path dir, String... extraArguments) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1900", "--user-data-dir=" + dir.resolve("chromium-profile"));
        options.addArguments(List.of(extraArguments));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER.toString()))
                .usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile())
                .build();
        return new ChromeDriver(service, options);
    }

    /** The string value of a JavaScript expression evaluated in the page. */
    static String text(WebDriver d, String expression) {
        Object value = ((JavascriptExecutor) d).executeScript("return String(" + expression + ");");
        return value == null ? "" : value.toString();
    }
}
