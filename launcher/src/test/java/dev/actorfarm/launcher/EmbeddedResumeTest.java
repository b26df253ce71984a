package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.blob.BlobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code farm render} killed with SIGKILL at about 30% and again at about 80%, rerun each time with
 * the same command: the job resumes and its output equals an uninterrupted run's, frame for frame;
 * no more windows are rendered twice than were in flight at the kills.
 */
class EmbeddedResumeTest {

  @TempDir Path dir;

  private static final Pattern RENDERED = Pattern.compile("Rendered (job-\\S+) window (\\d+) ");

  @Test
  void killedTwiceTheJobResumesToTheSameFrames() throws Exception {
    DecodedVideo reference = ReferenceRender.get().video();
    int windows = (reference.frames().size() + 49) / 50;
    Path data = dir.resolve("data");
    Path out = dir.resolve("out/resumed.mp4");
    // A heavier motion model than the reference pack's (simulated) spreads the job over a few
    // seconds, so that the kills land mid-job.
    List<String> props =
        List.of(
            "actorfarm.motion.simulated-latency=300ms",
            "actorfarm.model-pack.dir=" + ReferenceRender.pack());
    String[] args = {
      "render",
      "--portrait",
      ReferenceRender.ASTRONAUT.toString(),
      "--audio",
      ReferenceRender.NARRATION.toString(),
      "--out",
      out.toString(),
      "--data-dir",
      data.toString()
    };
    int[] killAt = {(int) Math.ceil(windows * 0.3), (int) Math.ceil(windows * 0.8)};
    int[] segmentsAtKill = new int[2];
    int[] logLinesAtStart = new int[3];
    for (int run = 0; run < 2; run++) {
      logLinesAtStart[run] = farmLog(data).size();
      try (FarmProcess p =
          FarmProcess.start("render-" + run, dir.resolve("render-" + run + ".log"), props, args)) {
        segmentsAtKill[run] = awaitSegments(data, killAt[run], p);
        p.kill();
      }
      assertThat(out).as("no output before the job completes").doesNotExist();
    }
    logLinesAtStart[2] = farmLog(data).size();
    long restarted = System.nanoTime();
    FarmProcess last = FarmProcess.start("render-2", dir.resolve("render-2.log"), props, args);
    int code = last.await(Duration.ofMinutes(3));
    assertThat(code).as(last.tail()).isZero();
    assertThat(last.log()).contains("Resuming job");
    // Then the output equals the uninterrupted run's, frame for frame
    DecodedVideo resumed = DecodedVideo.decode(out);
    assertThat(resumed.hashes()).isEqualTo(reference.hashes());
    // and windows rendered twice are no more than the render workers in flight at each kill
    List<String> log = farmLog(data);
    // and the job's log is the farm's, not the embedded broker's partition bookkeeping (some 300
    // state-change lines at every start before)
    assertThat(log).noneMatch(l -> l.contains("state.change.logger"));
    Map<String, Long> renders =
        log.stream()
            .map(RENDERED::matcher)
            .filter(Matcher::find)
            .collect(Collectors.groupingBy(m -> m.group(2), Collectors.counting()));
    long twice = renders.values().stream().mapToLong(n -> n - 1).sum();
    int workers = 2;
    System.out.printf(
        "Embedded resume: %d windows; killed at %d and %d segments; windows rendered twice: %d"
            + " (limit %d); third run took %.1f s%n",
        windows,
        segmentsAtKill[0],
        segmentsAtKill[1],
        twice,
        2 * workers,
        (System.nanoTime() - restarted) / 1e9);
    // Every window was rendered (the frames above prove it); a kill that lands between a
    // segment's rename and its log line hides that window's line, at most once per kill.
    assertThat(renders.size()).isBetween(windows - 2, windows);
    assertThat(twice).isLessThanOrEqualTo(2L * workers);
    for (int r = 1; r < 3; r++) {
      int run = r;
      List<String> runLog = log.subList(logLinesAtStart[run], log.size());
      runLog.stream()
          .filter(
              l ->
                  l.contains("Motion entity")
                      || l.contains("Mux entity")
                      || l.contains("Embedded Kafka")
                      || l.contains("Resuming")
                      || l.contains("Farm node up")
                      || l.contains("Rendered"))
          .limit(8)
          .forEach(l -> System.out.println("  run " + run + ": " + l));
    }
  }

  /** The farm's log: every run appends to {@code <data-dir>/farm.log}. */
  private static List<String> farmLog(Path data) throws Exception {
    Path log = data.resolve("farm.log");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  /** Waits until the job has at least {@code n} segments; returns how many it has. */
  private static int awaitSegments(Path data, int n, FarmProcess p) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      int count = segments(data);
      if (count >= n) {
        return count;
      }
      assertThat(p.alive()).as(p.tail()).isTrue();
      Thread.sleep(20);
    }
    throw new AssertionError("fewer than " + n + " segments in time:\n" + p.tail());
  }

  /**
   * Counts the finished segments of every job ({@link BlobStore#count}). Lists directories rather
   * than walking the tree: a walk stats each entry and fails on a temporary file that the farm
   * renames in between.
   */
  static int segments(Path data) throws Exception {
    Path jobs = data.resolve("blobs/jobs");
    if (!Files.isDirectory(jobs)) {
      return 0;
    }
    int count = 0;
    try (var dirs = Files.list(jobs)) {
      for (Path job : dirs.toList()) {
        count += new BlobStore(job).count("segments", ".mp4");
      }
    }
    return count;
  }
}
