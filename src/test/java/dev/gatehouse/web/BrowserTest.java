package dev.gatehouse.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives Debian's Chromium against the web app. Every page is watched for console
 * errors, uncaught exceptions and CSP violations; each test fails if any appear.
 * Without Chromium the tests are skipped with a loud warning, except on CI
 * (CI=true), where a missing browser is a failure.
 */
abstract class BrowserTest {

  private static final Logger log = LoggerFactory.getLogger(BrowserTest.class);
  /** Debian's Chromium; -Dgatehouse.web.chromium=… names another build. */
  private static final Path CHROMIUM = Paths.get(System.getProperty("gatehouse.web.chromium", "/usr/bin/chromium"));
  private static final List<String> CHROMIUM_ARGS = List.of(
      "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run");
  static final int WIDE = 1280;
  static final int NARROW = 375;
  private static final Path SCREENSHOTS = Paths.get("target", "screenshots");

  // Reports CSP violations as console errors, so they fail the test like any other.
  private static final String CSP_WATCH =
      "document.addEventListener('securitypolicyviolation', e => "
          + "console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));";

  private static Playwright playwright;
  private static Browser browser;
  private static String notRun;

  protected BrowserContext context;
  protected Page page;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger shotNumber = new AtomicInteger();
  private String testName;

  @BeforeAll
  static void launchChromium() {
    if (!Files.isExecutable(CHROMIUM)) {
      String message = "Chromium not found at " + CHROMIUM + ": browser tests NOT RUN. Install it with `apt-get install -y chromium`.";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " CI=true, so this is a failure, not a skip.");
      }
      log.warn("\n\n**********\n*** {}\n**********\n", message);
      // Skipped test by test (not the class at once), so Maven's summary counts every one.
      notRun = message;
      return;
    }
    notRun = null;
    playwright = Playwright.create(new Playwright.CreateOptions()
        .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
        .setExecutablePath(CHROMIUM)
        .setHeadless(true)
        .setArgs(CHROMIUM_ARGS));
  }

  @AfterAll
  static void closeChromium() {
    if (browser != null) browser.close();
    if (playwright != null) playwright.close();
    browser = null;
    playwright = null;
  }

  /** Where the server under test listens, e.g. http://localhost:8080. */
  protected abstract String baseUrl();

  @BeforeEach
  void openPage(TestInfo info) {
    if (notRun != null) Assumptions.abort(notRun);
    testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
    context = newContext();
    page = context.newPage();
  }

  /** A fresh browser profile: its own cookies, so a second "device" or a second person. */
  protected BrowserContext newContext() {
    BrowserContext ctx = browser.newContext(new Browser.NewContextOptions()
        .setViewportSize(WIDE, 900)
        .setBaseURL(baseUrl())
        .setAcceptDownloads(true));
    ctx.setDefaultTimeout(15_000);
    ctx.addInitScript(CSP_WATCH);
    ctx.onPage(this::watch);
    return ctx;
  }

  private void watch(Page p) {
    p.onConsoleMessage(msg -> {
      if (!"error".equals(msg.type())) return;
      // The app handles API refusals (401, 403, 429 …) itself; Chromium still logs them.
      // Failed loads of anything else (scripts, styles, images) are caught below.
      if (msg.text().startsWith("Failed to load resource")) return;
      problems.add("console error on " + p.url() + ": " + msg.text());
    });
    p.onPageError(error -> problems.add("uncaught error on " + p.url() + ": " + error));
    p.onResponse(response -> {
      String path = java.net.URI.create(response.url()).getPath();
      // Loads (scripts, styles, images, pages) are GETs; a refused POST is the app's own answer to handle.
      if (response.status() >= 400 && !path.startsWith("/api/") && "GET".equals(response.request().method())) {
        problems.add("HTTP " + response.status() + " for " + response.url());
      }
    });
  }

  @AfterEach
  void closePage() {
    if (context != null) context.close();
    assertEquals(List.of(), new ArrayList<>(problems), "console errors, page errors or CSP violations");
  }

  private static final java.util.regex.Pattern LEAKED_VALUE =
      java.util.regex.Pattern.compile("\\b(null|undefined|NaN)\\b|\\[object Object\\]");

  /**
   * Full-page screenshots of the current state at 1280 and 375 px wide, numbered in
   * test order; also checks that no JavaScript non-value leaked into the text.
   */
  protected void screenshot(String step) {
    String text = page.locator("body").innerText();
    java.util.regex.Matcher leak = LEAKED_VALUE.matcher(text);
    if (leak.find()) problems.add("'" + leak.group() + "' shown on " + page.url() + " at step " + step);
    String name = String.format("%s-%02d-%s", testName, shotNumber.incrementAndGet(), step);
    try {
      Files.createDirectories(SCREENSHOTS);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + "-" + WIDE + ".png")).setFullPage(true));
    page.setViewportSize(NARROW, 812);
    page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve(name + "-" + NARROW + ".png")).setFullPage(true));
    page.setViewportSize(WIDE, 900);
  }
}
