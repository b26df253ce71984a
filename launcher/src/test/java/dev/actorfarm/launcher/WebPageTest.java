package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.launcher.api.ApiSettings;
import dev.actorfarm.launcher.api.FarmHttp;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless browser (Debian's Chromium driven through ChromeDriver; `.ci/run`
 * installs both): enter the token, submit a job through the form, watch its progress reach 100%,
 * and check that both the live HLS preview (hls.js) and the final video play, by their {@code
 * currentTime} advancing. Rendering is slowed (20 ms a frame) so that the preview starts while the
 * job is still rendering.
 */
class WebPageTest {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String TOKEN = "page-token";

  @TempDir static Path dir;
  static TestBroker broker;
  static EmbeddedFarm farm;
  static String base;
  static ChromeDriver browser;

  @BeforeAll
  static void start() throws Exception {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "CI needs Debian's chromium and chromium-driver for the browser test (.ci/run installs"
              + " them)");
    }
    Assumptions.assumeTrue(
        present,
        "no /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium"
            + " chromium-driver); the browser test is skipped outside CI");
    broker = new TestBroker(dir.resolve("broker"));
    Map<String, Object> overrides =
        ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "web");
    overrides.put("actorfarm.render.simulated-latency-per-frame", "20ms");
    overrides.put("actorfarm.http.port", 0);
    overrides.put("actorfarm.http.interface", "127.0.0.1");
    overrides.put("actorfarm.http.token", TOKEN);
    var config = FarmConfig.load(overrides);
    farm = EmbeddedFarm.start(config);
    base = "http://127.0.0.1:" + FarmHttp.serveApi(farm, ApiSettings.create(config)).getPort();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (farm != null) {
      farm.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void submitThroughThePageWatchProgressAndPlayThePreviewAndTheVideo() throws Exception {
    browser.get(base + "/");
    WebElement token = browser.findElement(By.id("token"));
    token.sendKeys(TOKEN, Keys.TAB);
    browser
        .findElement(By.id("portrait"))
        .sendKeys(ReferenceRender.ASTRONAUT.toAbsolutePath().normalize().toString());
    browser
        .findElement(By.id("audio"))
        .sendKeys(ReferenceRender.NARRATION.toAbsolutePath().normalize().toString());
    browser.findElement(By.id("seed")).clear();
    browser.findElement(By.id("seed")).sendKeys("3");
    browser.findElement(By.id("priority")).clear();
    browser.findElement(By.id("priority")).sendKeys("70");
    // directed in the cue editor: neutral from the start, happy at 0.7 from 5 s, the head calmer
    browser.findElement(By.id("cue-add")).click();
    browser.findElement(By.id("cue-add")).click();
    List<WebElement> rows = browser.findElements(By.cssSelector("#cues tbody tr"));
    assertThat(rows).hasSize(2);
    WebElement intensity = rows.get(1).findElement(By.className("cue-intensity"));
    intensity.clear();
    intensity.sendKeys("0.7");
    browser.findElement(By.id("head-motion")).clear();
    browser.findElement(By.id("head-motion")).sendKeys("0.5");
    long submitted = System.nanoTime();
    browser.findElement(By.id("submit")).click();

    // The page moves to the job's own page.
    new WebDriverWait(browser, Duration.ofSeconds(60))
        .until(d -> d.getCurrentUrl().contains("#/jobs/job-"));
    String jobId = browser.getCurrentUrl().replaceAll(".*#/jobs/", "");
    // The job carries the page's direction.
    var requested =
        broker.readAll(dev.actorfarm.protocol.Topics.JOBS).stream()
            .filter(e -> e.getKey().equals(jobId))
            .findFirst()
            .orElseThrow()
            .getValue();
    var direction = requested.getSpec().getOptions().getDirection();
    assertThat(direction.getControlsMap()).containsExactly(Map.entry("head_motion_scale", 0.5f));
    assertThat(direction.getCuesList())
        .extracting(c -> c.getTimeS() + " " + c.getEmotion() + " " + c.getIntensity())
        .containsExactly("0.0 neutral 0.8", "5.0 happy 0.7");

    // Its scheduling from the page: submitted at 70, paused (it cannot complete while paused:
    // most of its windows are not admitted), raised to 80, resumed.
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> "70".equals(d.findElement(By.id("job-priority")).getDomProperty("value")));
    assertThat(farm.jobs().controls(jobId).priority()).isEqualTo(70);
    browser.findElement(By.id("job-pause")).click();
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> d.findElement(By.id("job-state")).getText().equals("PAUSED"));
    assertThat(farm.jobs().controls(jobId).paused()).isTrue();
    Thread.sleep(2000);
    assertThat(browser.findElement(By.id("job-state")).getText()).isEqualTo("PAUSED");
    // (typed over while focused: the page's refresh leaves a focused field alone, and clear()
    // would blur it first)
    browser.findElement(By.id("job-priority")).sendKeys(Keys.chord(Keys.CONTROL, "a"), "80");
    browser.findElement(By.id("job-priority-set")).click();
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> farm.jobs().controls(jobId).priority() == 80);
    browser.findElement(By.id("job-resume")).click();
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> !d.findElement(By.id("job-state")).getText().equals("PAUSED"));
    assertThat(farm.jobs().controls(jobId).paused()).isFalse();

    // Progress, as the page shows it, until 100%; the preview starts playing meanwhile.
    List<Double> progress = new ArrayList<>();
    double previewTimeWhileRendering = -1;
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    while (true) {
      assertThat(System.nanoTime()).as("job completes in the page").isLessThan(deadline);
      String state = browser.findElement(By.id("job-state")).getText();
      double value =
          Double.parseDouble(browser.findElement(By.id("job-progress")).getDomProperty("value"));
      if (progress.isEmpty() || progress.get(progress.size() - 1) != value) {
        progress.add(value);
      }
      if (!state.equals("COMPLETED") && previewTimeWhileRendering < 0) {
        double t = currentTime("preview");
        if (t > 0) {
          previewTimeWhileRendering = t;
        }
      }
      assertThat(state).isNotIn("FAILED", "CANCELLED");
      if (state.equals("COMPLETED")) {
        break;
      }
      Thread.sleep(250);
    }
    assertThat(browser.findElement(By.id("job-percent")).getText()).isEqualTo("100.0%");
    assertThat(progress).last().isEqualTo(1.0);
    assertThat(progress).as("progress values the page showed").isSorted();
    assertThat(progress.stream().filter(p -> p > 0 && p < 1).count())
        .as("intermediate progress shown")
        .isPositive();

    // The live preview plays: its currentTime advances.
    double p1 = awaitPlaying("preview", 0.5);
    Thread.sleep(1500);
    double p2 = currentTime("preview");
    assertThat(p2).as("preview currentTime advances").isGreaterThan(p1);

    // The final video plays.
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> "false".equals(d.findElement(By.id("download")).getDomProperty("hidden")));
    ((JavascriptExecutor) browser)
        .executeScript("const v = document.getElementById('final'); v.muted = true; v.play();");
    double f1 = awaitPlaying("final", 0.5);
    Thread.sleep(1500);
    double f2 = currentTime("final");
    assertThat(f2).as("final video currentTime advances").isGreaterThan(f1);
    Number duration =
        (Number)
            ((JavascriptExecutor) browser)
                .executeScript("return document.getElementById('final').duration;");
    assertThat(duration.doubleValue()).isBetween(21.0, 21.3);

    // Back to the jobs table: the job is there, COMPLETED at 100%.
    browser.get(base + "/#/");
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .until(
            d ->
                !d.findElements(By.cssSelector("tr[data-job='" + jobId + "'] td.state")).isEmpty()
                    && d.findElement(By.cssSelector("tr[data-job='" + jobId + "'] td.state"))
                        .getText()
                        .equals("COMPLETED"));
    assertThat(browser.findElement(By.cssSelector("tr[data-job='" + jobId + "'] .pct")).getText())
        .isEqualTo("100.0%");
    System.out.printf(
        "Web page: job %s completed in %.1f s; progress shown %s; preview at %.2f s while"
            + " rendering, %.2f -> %.2f s; final %.2f -> %.2f s of %.2f s%n",
        jobId,
        (System.nanoTime() - submitted) / 1e9,
        progress,
        previewTimeWhileRendering,
        p1,
        p2,
        f1,
        f2,
        duration.doubleValue());
  }

  @Test
  void submitADrivingVideoThroughThePageAtAChosenFrameRate() throws Exception {
    browser.get(base + "/");
    WebElement token = browser.findElement(By.id("token"));
    token.clear();
    token.sendKeys(TOKEN, Keys.TAB);
    Path driving = ReferenceRender.output();
    browser
        .findElement(By.id("portrait"))
        .sendKeys(
            Path.of("../examples/portraits/hopper.jpg").toAbsolutePath().normalize().toString());
    browser.findElement(By.id("driving")).sendKeys(driving.toAbsolutePath().normalize().toString());
    browser.findElement(By.id("fps")).sendKeys("30");
    browser.findElement(By.id("submit")).click();
    new WebDriverWait(browser, Duration.ofSeconds(60))
        .until(d -> d.getCurrentUrl().contains("#/jobs/job-"));
    String jobId = browser.getCurrentUrl().replaceAll(".*#/jobs/", "");
    // The job renders the driving video's 21.12 s at 30 fps
    new WebDriverWait(browser, Duration.ofSeconds(120))
        .until(d -> d.findElement(By.id("job-state")).getText().equals("COMPLETED"));
    assertThat(farm.jobs().get(jobId).orElseThrow().totalFrames()).isEqualTo(634);
  }

  private double currentTime(String id) {
    Object t =
        ((JavascriptExecutor) browser)
            .executeScript("return document.getElementById(arguments[0]).currentTime;", id);
    return t == null ? 0 : ((Number) t).doubleValue();
  }

  /** Waits until the video's currentTime passes {@code seconds}; returns it. */
  private double awaitPlaying(String id, double seconds) {
    new WebDriverWait(browser, Duration.ofSeconds(60))
        .withMessage(
            () ->
                id
                    + " did not play: "
                    + ((JavascriptExecutor) browser)
                        .executeScript(
                            "const v = document.getElementById(arguments[0]);"
                                + " return JSON.stringify({t: v.currentTime, paused: v.paused,"
                                + " ready: v.readyState, err: v.error && v.error.message,"
                                + " src: v.currentSrc});",
                            id))
        .until(d -> currentTime(id) > seconds);
    return currentTime(id);
  }
}
