package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.DecodedVideo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code farm render --driving} killed with SIGKILL mid-job and rerun with the same command: the
 * job resumes (the motion entity restores the driving anchor and the smoothing state from its
 * checkpoint) and its output equals an uninterrupted run's, frame for frame.
 */
class DrivingResumeTest {

  @TempDir Path dir;

  @Test
  void killedMidJobTheDrivenJobResumesToTheSameFrames() throws Exception {
    // Given 10 s of the reference render as the driving video, and an uninterrupted driven run
    Path driving = dir.resolve("take.mp4");
    DrivingFarm.join(driving, 25, null, new DrivingFarm.Part(ReferenceRender.output(), 250));
    Path portrait = Path.of("../examples/portraits/hopper.jpg");
    String[] common = {
      "render", "--portrait", portrait.toString(), "--driving", driving.toString(), "--fps", "30"
    };
    Path straight = dir.resolve("straight.mp4");
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Farm());
    cli.setErr(new PrintWriter(err, true));
    int code =
        cli.execute(
            concat(
                common,
                "--out",
                straight.toString(),
                "--data-dir",
                dir.resolve("straight-data").toString(),
                "--model-pack",
                ReferenceRender.pack().toString()));
    assertThat(code).as(err.toString()).isZero();
    List<String> reference = DecodedVideo.frameHashes(straight);
    int windows = (reference.size() + 49) / 50;
    // When the same job runs in its own process, is killed at about 40% and rerun
    Path data = dir.resolve("data");
    Path out = dir.resolve("out/resumed.mp4");
    List<String> props =
        List.of(
            "actorfarm.motion.simulated-latency=300ms",
            "actorfarm.model-pack.dir=" + ReferenceRender.pack());
    String[] args = concat(common, "--out", out.toString(), "--data-dir", data.toString());
    try (FarmProcess p = FarmProcess.start("drive-0", dir.resolve("drive-0.log"), props, args)) {
      awaitSegments(data, (int) Math.ceil(windows * 0.4), p);
      p.kill();
    }
    assertThat(out).as("no output before the job completes").doesNotExist();
    FarmProcess last = FarmProcess.start("drive-1", dir.resolve("drive-1.log"), props, args);
    code = last.await(Duration.ofMinutes(3));
    assertThat(code).as(last.tail()).isZero();
    assertThat(last.log()).contains("Resuming job");
    // Then the output equals the uninterrupted run's, frame for frame
    assertThat(DecodedVideo.frameHashes(out)).isEqualTo(reference);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void awaitSegments(Path data, int n, FarmProcess p) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      if (EmbeddedResumeTest.segments(data) >= n) {
        return;
      }
      assertThat(p.alive()).as(p.tail()).isTrue();
      Thread.sleep(20);
    }
    throw new AssertionError("fewer than " + n + " segments in time:\n" + p.tail());
  }
}
