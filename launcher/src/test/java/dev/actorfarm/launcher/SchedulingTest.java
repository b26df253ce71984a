package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.JobPaths;
import dev.actorfarm.runtime.jobs.JobStates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many jobs on one embedded farm (2 render workers, real rendering slowed by 10 ms a frame so that
 * jobs overlap): a short job submitted behind a long one gets its share at once and finishes first;
 * a priority raised mid-job takes effect; a paused job renders nothing new until resumed, and its
 * output is the reference's, frame for frame.
 */
class SchedulingTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static EmbeddedFarm farm;
  static Path longAudio;
  static final double LONG_SECONDS = 150;

  @BeforeAll
  static void startFarm() throws Exception {
    ReferenceRender.get();
    broker = new TestBroker(dir.resolve("broker"));
    Map<String, Object> overrides =
        ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "scheduling");
    overrides.put("actorfarm.render.simulated-latency-per-frame", "10ms");
    overrides.put("actorfarm.render.workers", 2);
    farm = EmbeddedFarm.start(FarmConfig.load(overrides));
    longAudio = dir.resolve("long.wav");
    speechLike(longAudio, LONG_SECONDS);
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** Syllable-like tone bursts with pauses, 16 kHz mono: a narration of any length. */
  static void speechLike(Path wav, double seconds) throws Exception {
    int rate = 16000;
    int n = (int) (seconds * rate);
    byte[] pcm = new byte[2 * n];
    for (int i = 0; i < n; i++) {
      double t = i / (double) rate;
      double syllable = Math.max(0, Math.sin(2 * Math.PI * 3.1 * t));
      double phrase = (t % 4.0) < 3.2 ? 1 : 0;
      double v =
          0.4
              * syllable
              * phrase
              * (Math.sin(2 * Math.PI * 180 * t) + 0.5 * Math.sin(2 * Math.PI * 720 * t));
      short s = (short) Math.round(Math.max(-1, Math.min(1, v)) * 20000);
      pcm[2 * i] = (byte) s;
      pcm[2 * i + 1] = (byte) (s >> 8);
    }
    var format = new javax.sound.sampled.AudioFormat(rate, 16, 1, true, false);
    try (var in =
        new javax.sound.sampled.AudioInputStream(
            new java.io.ByteArrayInputStream(pcm), format, n)) {
      javax.sound.sampled.AudioSystem.write(
          in, javax.sound.sampled.AudioFileFormat.Type.WAVE, wav.toFile());
    }
  }

  /** Runs {@code farm args...} in this JVM; "exit code: stderr". */
  private static String cli(String... args) throws Exception {
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cl = new picocli.CommandLine(new Farm());
    cl.setErr(new java.io.PrintWriter(err, true));
    int code = cl.execute(args);
    // the command's own view of the farm lags a little behind what it published
    Thread.sleep(500);
    return code + ": " + err;
  }

  private static JobClient client() {
    return new JobClient(broker.kafka(), farm.blobs(), "cli@scheduling");
  }

  private static JobClient.Prepared referenceJob(String id) throws Exception {
    return client().prepare(ReferenceRender.request(), id);
  }

  private static JobClient.Prepared longJob(String id) throws Exception {
    var r = ReferenceRender.request();
    return client()
        .prepare(
            new JobClient.Request(
                r.portrait(), longAudio, 25, 0, null, false, r.packId(), LONG_SECONDS),
            id);
  }

  /** Submits and follows the job on another thread; completes with its last event. */
  private static CompletableFuture<JobEvent> run(JobClient.Prepared job, int priority)
      throws Exception {
    JobClient.Follower follower = client().submit(job, new JobStates.Controls(priority, false, 0));
    return CompletableFuture.supplyAsync(
        () -> {
          try (follower) {
            return follower.follow(e -> {}, Duration.ofMinutes(6));
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
  }

  static int segments(String jobId) throws Exception {
    return farm.blobs().count(JobPaths.segments(jobId), ".mp4");
  }

  private static void awaitSegments(String jobId, int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (segments(jobId) < n) {
      assertThat(System.nanoTime()).as(jobId + " reaches " + n + " segments").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void assertReferenceFrames(JobEvent completed) throws Exception {
    assertThat(completed.getState()).as(completed.getReason()).isEqualTo(JobState.COMPLETED);
    DecodedVideo video = DecodedVideo.decode(farm.blobs().resolve(completed.getOutput().getUri()));
    assertThat(video.hashes()).isEqualTo(ReferenceRender.get().video().hashes());
  }

  @Test
  void shortJobsGetTheirShareAtOncePausedJobsWaitAndPrioritiesTakeEffect() throws Exception {
    // Given a long job (150 s, 75 windows) that has started rendering
    CompletableFuture<JobEvent> longRun = run(longJob("job-long"), 50);
    awaitSegments("job-long", 3);

    // When a short job (21 s, 11 windows) is submitted behind it at the same priority
    long shortSubmitted = System.nanoTime();
    CompletableFuture<JobEvent> shortRun = run(referenceJob("job-short"), 50);
    JobEvent shortDone = shortRun.get(3, java.util.concurrent.TimeUnit.MINUTES);
    double shortSeconds = (System.nanoTime() - shortSubmitted) / 1e9;
    // Then it completes first, with the reference frames, while the long one still renders
    assertThat(longRun).as("the long job is still running").isNotDone();
    int longAtShort = segments("job-long");
    assertThat(longAtShort).as("long job's segments when the short one finished").isLessThan(60);
    assertReferenceFrames(shortDone);

    // When another short job is paused after its first windows
    CompletableFuture<JobEvent> pausedRun = run(referenceJob("job-paused"), 50);
    awaitSegments("job-paused", 2);
    client().control("job-paused", new JobStates.Controls(50, true, 0));
    // Then, from when the scheduler applies the pause (it published the job as paused and
    // granted it nothing), the windows in hand finish and nothing new is rendered, while the long
    // job goes on
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!farm.jobs().share("job-paused").map(j -> j.getPaused()).orElse(false)) {
      assertThat(System.nanoTime()).as("the scheduler applies the pause").isLessThan(deadline);
      Thread.sleep(20);
    }
    int atPause = segments("job-paused");
    while (farm.jobs()
        .share("job-paused")
        .map(j -> !j.getPaused() || j.getInRender() > 0)
        .orElse(true)) {
      assertThat(System.nanoTime())
          .as("the paused job's windows in hand finish")
          .isLessThan(deadline);
      Thread.sleep(100);
    }
    Thread.sleep(500);
    int pausedAt = segments("job-paused");
    // (at most its credit, 3 windows of 6, was in hand)
    assertThat(pausedAt - atPause).as("windows finished after the pause").isLessThanOrEqualTo(3);
    int longAtPause = segments("job-long");
    Thread.sleep(4000);
    assertThat(segments("job-paused")).as("segments of the paused job").isEqualTo(pausedAt);
    assertThat(pausedAt).isLessThan(11);
    assertThat(segments("job-long")).as("the long job uses the workers").isGreaterThan(longAtPause);
    assertThat(farm.jobs().share("job-paused"))
        .hasValueSatisfying(s -> assertThat(s.getPaused()).isTrue());
    // and once resumed it completes with the reference frames
    client().control("job-paused", new JobStates.Controls(50, false, 0));
    assertReferenceFrames(pausedRun.get(3, java.util.concurrent.TimeUnit.MINUTES));

    // When a job at 50 has its priority raised to 90 mid-job
    CompletableFuture<JobEvent> raisedRun = run(referenceJob("job-raised"), 50);
    awaitSegments("job-raised", 2);
    double before = farm.jobs().share("job-raised").map(j -> j.getShare()).orElse(0.0);
    client().control("job-raised", new JobStates.Controls(90, false, 0));
    Thread.sleep(1000);
    // Then the scheduler gives it weight 16 against the long job's 1 (it had half before)
    assertThat(farm.jobs().share("job-raised"))
        .hasValueSatisfying(j -> assertThat(j.getShare()).isGreaterThan(0.85));
    assertThat(before).isLessThan(0.6);
    int raisedFrom = segments("job-raised");
    int longFrom = segments("job-long");
    JobEvent raisedDone = raisedRun.get(3, java.util.concurrent.TimeUnit.MINUTES);
    int raisedGot = segments("job-raised") - raisedFrom;
    int longGot = segments("job-long") - longFrom;
    // and it gets most of the windows rendered from then on (the long job's windows already
    // admitted still render first)
    assertThat(raisedGot / (double) (raisedGot + longGot))
        .as(
            "raised job's share of the windows rendered after the change (%d vs %d)",
            raisedGot, longGot)
        .isGreaterThan(0.6);
    assertReferenceFrames(raisedDone);
    assertThat(farm.jobs().controls("job-raised").priority()).isEqualTo(90);

    // The CLI's commands on this farm (--kafka): a change, a bad priority, an unknown job
    String kafka = broker.kafka().bootstrapServers();
    assertThat(cli("priority", "job-long", "60", "--kafka", kafka)).startsWith("0:");
    assertThat(farm.jobs().controls("job-long").priority()).isEqualTo(60);
    assertThat(cli("priority", "job-long", "101", "--kafka", kafka))
        .startsWith("2:")
        .contains("priority must be 0..100, got 101");
    assertThat(cli("pause", "job-none", "--kafka", kafka)).startsWith("2:").contains("no job");

    assertThat(cli("resume", "job-short", "--kafka", kafka))
        .startsWith("2:")
        .contains("is already completed");
    // The long job has shown what it was for; it is cancelled rather than waited for (the
    // suite's other tests render jobs to the end), and stops.
    int longAtEnd = segments("job-long");
    assertThat(longAtEnd).as("the long job is still running").isLessThan(75);
    client().cancel("job-long", "the test has seen enough");
    JobEvent longDone = longRun.get(1, java.util.concurrent.TimeUnit.MINUTES);
    assertThat(longDone.getState()).isEqualTo(JobState.CANCELLED);
    System.out.printf(
        java.util.Locale.ROOT,
        "Scheduling: short job behind a long one took %.1f s (long job at %d/75 windows);"
            + " paused job held at %d segments; raised job got %d of %d windows after the"
            + " change%n",
        shortSeconds,
        longAtShort,
        pausedAt,
        raisedGot,
        raisedGot + longGot);
  }
}
