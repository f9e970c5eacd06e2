package org.legoos.node.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.legoos.node.cluster.TcpCluster;
import org.legoos.processor.client.ProcessClient;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: headless Chromium (the distribution's {@code chromium} and {@code chromium-driver})
 * driven by Selenium against a mutual-TLS {@link TcpCluster} running a program that misses steadily. Skipped, with
 * the reason, where no Chromium or no chromedriver is installed ({@code LEGOOS_CHROMIUM} and {@code
 * LEGOOS_CHROMEDRIVER} name them where they are elsewhere). Saves a screenshot to {@code target/}; with
 * {@code -Dlegoos.dashboard.screenshot=true} also to {@code docs/dashboard.png}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
    /** The longest a page may take to show what is asserted (polling every 250 ms). */
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** The first executable of {@code candidates}, or only what environment variable {@code override} names if set. */
    static Optional<Path> executable(String override, String... candidates) {
        String chosen = System.getenv(override);
        Stream<String> paths = chosen != null && !chosen.isBlank() ? Stream.of(chosen) : Stream.of(candidates);
        return paths.map(Path::of).filter(Files::isExecutable).findFirst();
    }

    @Test
    void theProcessItsMissesAndItsPageShowInChromium(@TempDir Path dir) throws Exception {
        Optional<Path> chromium = executable("LEGOOS_CHROMIUM", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium");
        Optional<Path> driverBinary = executable("LEGOOS_CHROMEDRIVER", "/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        assumeTrue(chromium.isPresent(), "no chromium binary (apt-get install chromium chromium-driver): browser test skipped");
        assumeTrue(driverBinary.isPresent(), "no chromedriver binary (apt-get install chromium-driver): browser test skipped");

        try (TcpCluster cluster = TcpCluster.start(DashboardServerTest.config(dir), 1, 2, 1, Map.of("churn", Churn.class));
             var client = cluster.client()) {
            String url = cluster.manager().dashboardUrl();
            String token = cluster.manager().dashboardToken();
            client.createVNode("w", 0, 0);
            var files = client.files("w");
            files.create("/input.txt", true);
            files.write("/input.txt", 0, ByteBuffer.wrap("to be or not to be\n".getBytes(StandardCharsets.UTF_8)));
            files.close("/input.txt");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ProcessClient.Running churn = client.processes().start("w", "churn", List.of(), out, OutputStream.nullOutputStream());
            long pid = churn.pid();

            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium.get().toFile());
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1400,1100", "--user-data-dir=" + dir.resolve("chromium"));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(driverBinary.get().toFile()).usingAnyFreePort().build();
            WebDriver browser;
            try {
                browser = new ChromeDriver(service, options);
            } catch (org.openqa.selenium.SessionNotCreatedException e) {
                churn.kill();
                // the installed browser cannot run here (a driver of another version, missing libraries): not the dashboard's fault
                assumeTrue(false, "chromium could not be started by " + driverBinary.get() + ": " + e.getRawMessage());
                return;
            }
            try {
                // the page redraws its tables every second: an element found may be gone when read, so every read is
                // in a wait that tries again
                WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(250));
                wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
                // without the token: 401
                browser.get(url);
                assertThat(browser.getPageSource()).contains("401");

                browser.get(DashboardServer.urlWithToken(url, token));
                assertThat(browser.getCurrentUrl()).as("the token left the address bar").doesNotContain(token);
                wait.until(ExpectedConditions.presenceOfElementLocated(By.id("proc-" + pid)));
                String row = wait.until(d -> d.findElement(By.id("proc-" + pid)).getText());
                assertThat(row).contains("churn").contains("w");
                String components = wait.until(d -> d.findElement(By.id("components")).getText());
                assertThat(components).contains("processor").contains("memory").contains("storage").contains("alive");
                // the counter moves, and misses/s (computed in the page from two samples) is positive
                String misses = wait.until(d -> d.findElement(By.id("misses-" + pid)).getText());
                wait.until(d -> !d.findElement(By.id("misses-" + pid)).getText().equals(misses));
                wait.until(d -> positive(d.findElement(By.id("rate-" + pid)).getText()));
                wait.until(d -> d.findElement(By.id("chart-process-misses")).findElement(By.xpath(".."))
                        .getText().contains(pid + " churn"));
                wait.until(d -> Integer.parseInt(java.util.Objects.requireNonNullElse(
                        d.findElement(By.id("chart-process-misses")).getDomAttribute("data-samples"), "0")) >= 5);
                save(browser, "dashboard.png", true);

                // its page: its counters
                browser.get(url + "#/process/" + pid);
                wait.until(d -> d.findElement(By.id("process-counters")).getText().contains("ExCache misses"));
                String counters = wait.until(d -> d.findElement(By.id("process-counters")).getText());
                assertThat(counters).contains("churn").contains("home memory component").contains("threads");
                wait.until(d -> positive(d.findElement(By.id("counter-ExCache-misses-s")).getText().replaceAll("\\D+", " ").trim()));
                wait.until(d -> d.findElement(By.id("process-memory")).getText().contains("(home)"));
                save(browser, "dashboard-process.png", false);

                // its vNode's page: its files and processes
                browser.get(url + "#/vnode/w");
                wait.until(d -> d.findElement(By.id("vnode-files")).getText().contains("input.txt"));
                wait.until(d -> d.findElement(By.id("vnode-processes")).getText().contains("churn"));
                save(browser, "dashboard-vnode.png", false);
            } finally {
                browser.quit();
                churn.kill();
            }
        }
    }

    private static boolean positive(String text) {
        String[] parts = text.trim().split("\\s+");
        try {
            return Long.parseLong(parts[parts.length - 1]) > 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * A screenshot to target/NAME, and to docs/NAME too if {@code docs} and {@code -Dlegoos.dashboard.screenshot=true}
     * (a test run must not rewrite a tracked file).
     */
    private static void save(WebDriver browser, String name, boolean docs) throws Exception {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.copy(shot.toPath(), target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        Path docsDir = Path.of("..", "docs");
        if (docs && Boolean.getBoolean("legoos.dashboard.screenshot") && Files.isDirectory(docsDir)) {
            Files.copy(shot.toPath(), docsDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
