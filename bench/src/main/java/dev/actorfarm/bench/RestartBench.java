package dev.actorfarm.bench;

import dev.actorfarm.launcher.Farm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * What a SIGKILL costs a {@code farm render} (issue 16, "restart in seconds"): an uninterrupted
 * run, timed when its {@code k}-th segment lands and when it ends; a second run of the same job
 * SIGKILLed at its {@code k}-th segment; and the rerun of the same command, which resumes. The
 * restart overhead is the rerun's wall minus what the uninterrupted run still had to do after its
 * {@code k}-th segment: the rerun's start plus the work the kill lost. The rerun's output must have
 * the uninterrupted run's frames. Runs with and without the class-data-sharing archive that {@code
 * ./farm} maps (the JVM's part of a start).
 */
final class RestartBench {

  private RestartBench() {}

  /** One kill and rerun; times in seconds, the rerun's steps from its process start. */
  record Trial(
      double uninterrupted,
      double remaining,
      double rerun,
      double broker,
      double nodeUp,
      double firstSegment,
      double window,
      boolean identical) {
    double overhead() {
      return rerun - remaining;
    }

    /** The overhead less one window's render: what the target counts. */
    double beyondWindow() {
      return overhead() - window;
    }
  }

  /** The trials of one JVM set-up. */
  record Series(String name, List<Trial> trials) {
    double median(java.util.function.ToDoubleFunction<Trial> f) {
      double[] v = trials.stream().mapToDouble(f).sorted().toArray();
      return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
  }

  record Result(double seconds, int windows, int killAt, List<Series> series) {}

  static Result run(
      Path work, Path packDir, Path portrait, Path narration, double seconds, int trials)
      throws Exception {
    Path dir = work.resolve("restart");
    Files.createDirectories(dir);
    Path audio = Inputs.loopedNarration(narration, seconds, work.resolve("inputs"));
    int windows = (int) Math.ceil(seconds / 2.0); // the reference pack's 50-frame windows at 25 fps
    int killAt = Math.max(1, windows * 2 / 3);
    List<String> jvm = new ArrayList<>(Bench.FARM_JVM);
    jvm.add("-Dactorfarm.model-pack.dir=" + packDir);
    Path jsa = dir.resolve("farm.jsa");
    Files.deleteIfExists(jsa);
    List<String> train = new ArrayList<>(jvm);
    train.addAll(
        List.of("-XX:ArchiveClassesAtExit=" + jsa, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    System.out.println("Restart: training the class-data-sharing archive ...");
    ChildRun.run(
        "warm-up",
        dir.resolve("warm-up.log"),
        train,
        Farm.class.getName(),
        List.of("warm-up", "--portrait", portrait.toString(), "--audio", narration.toString()));
    List<String> cds = new ArrayList<>(jvm);
    cds.addAll(List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    List<Series> series = new ArrayList<>();
    for (var setup : List.of(List.of("with the archive (./farm)", cds), List.of("without", jvm))) {
      String name = (String) setup.get(0);
      @SuppressWarnings("unchecked")
      List<String> options = (List<String>) setup.get(1);
      List<Trial> done = new ArrayList<>();
      for (int t = 0; t < trials; t++) {
        System.out.printf("Restart, %s, trial %d of %d ...%n", name, t + 1, trials);
        done.add(trial(dir.resolve("t" + series.size() + t), options, portrait, audio, killAt));
      }
      series.add(new Series(name, done));
    }
    return new Result(seconds, windows, killAt, series);
  }

  private static Trial trial(Path dir, List<String> jvm, Path portrait, Path audio, int killAt)
      throws Exception {
    if (Files.exists(dir)) {
      PathUtils.deleteDirectory(dir);
    }
    Files.createDirectories(dir);
    // Uninterrupted.
    Path straight = dir.resolve("straight");
    long t0 = System.nanoTime();
    Process p = start(dir.resolve("straight.log"), jvm, portrait, audio, straight);
    double atK = awaitSegments(p, straight, killAt, t0);
    expectSuccess(p, dir.resolve("straight.log"));
    double uninterrupted = (System.nanoTime() - t0) / 1e9;
    // Killed at its k-th segment.
    Path killed = dir.resolve("killed");
    p = start(dir.resolve("killed-1.log"), jvm, portrait, audio, killed);
    awaitSegments(p, killed, killAt, System.nanoTime());
    p.destroyForcibly(); // SIGKILL
    p.waitFor();
    // The rerun.
    LocalTime clock = LocalTime.now();
    long t1 = System.nanoTime();
    p = start(dir.resolve("killed-2.log"), jvm, portrait, audio, killed);
    expectSuccess(p, dir.resolve("killed-2.log"));
    double rerun = (System.nanoTime() - t1) / 1e9;
    Path log = killed.resolve("farm.log");
    return new Trial(
        uninterrupted,
        uninterrupted - atK,
        rerun,
        since(log, clock, "Embedded Kafka broker"),
        since(log, clock, "Farm node up"),
        since(log, clock, "Rendered job"),
        medianWindow(straight.resolve("farm.log")),
        digest(straight.resolve("out.mp4")).equals(digest(killed.resolve("out.mp4"))));
  }

  private static Process start(Path log, List<String> jvm, Path portrait, Path audio, Path data)
      throws IOException {
    return ChildRun.start(
        log,
        jvm,
        Farm.class.getName(),
        List.of(
            "render",
            "--portrait",
            portrait.toString(),
            "--audio",
            audio.toString(),
            "--data-dir",
            data.toString(),
            "--out",
            data.resolve("out.mp4").toString()),
        false);
  }

  /** Seconds from {@code t0} until the run's data dir holds {@code n} finished segments. */
  private static double awaitSegments(Process p, Path data, int n, long t0) throws Exception {
    Path jobs = data.resolve("blobs/jobs");
    while (segments(jobs) < n) {
      if (!p.isAlive()) {
        throw new IOException("the run ended before its segment " + n + " (see " + data + ")");
      }
      Thread.sleep(20);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static int segments(Path jobs) throws IOException {
    if (!Files.isDirectory(jobs)) {
      return 0;
    }
    int n = 0;
    try (Stream<Path> dirs = Files.list(jobs)) {
      for (Path job : dirs.toList()) {
        n += new dev.actorfarm.runtime.blob.BlobStore(job).count("segments", ".mp4");
      }
    }
    return n;
  }

  private static void expectSuccess(Process p, Path log) throws Exception {
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("a restart run failed; see " + log);
    }
  }

  /**
   * Seconds from {@code start} to the first line of the farm's log, written after {@code start},
   * that contains {@code marker}; NaN when there is none.
   */
  private static double since(Path log, LocalTime start, String marker) throws IOException {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    for (String line : Files.readAllLines(log)) {
      if (line.length() < 12 || !line.contains(marker)) {
        continue;
      }
      LocalTime at;
      try {
        at = LocalTime.parse(line.substring(0, 12), f);
      } catch (java.time.format.DateTimeParseException e) {
        continue;
      }
      if (!at.isBefore(start)) {
        return java.time.Duration.between(start, at).toNanos() / 1e9;
      }
    }
    return Double.NaN;
  }

  /** The median of a run's "Rendered ... in X s" lines: one window's render, in seconds. */
  private static double medianWindow(Path log) throws IOException {
    java.util.regex.Pattern p =
        java.util.regex.Pattern.compile(
            "Rendered job-\\S+ window \\d+ \\(\\d+ frames\\) in ([0-9.]+) s");
    double[] v =
        Files.readAllLines(log).stream()
            .map(p::matcher)
            .filter(java.util.regex.Matcher::find)
            .mapToDouble(m -> Double.parseDouble(m.group(1)))
            .sorted()
            .toArray();
    return v.length == 0 ? 0 : v[v.length / 2];
  }

  /** SHA-256 over every decoded frame's pixels. */
  static String digest(Path video) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile())) {
      g.start();
      Frame frame;
      while ((frame = g.grabImage()) != null) {
        ByteBuffer b = ((ByteBuffer) frame.image[0]).duplicate();
        b.rewind();
        md.update(b);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
