package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.DiffusionTwin;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.motion.ParkedMotion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A learned-pack job end to end with a diffusion motion generator: the LivePortrait twin driven by
 * the twin diffusion generator (JoyVASA layout; DDIM, classifier-free guidance as a batch of 2,
 * diffusion forcing) through {@code farm render}. The mouth region follows the generated lip
 * motion, and a run killed with SIGKILL mid-job and rerun resumes to the uninterrupted run's
 * frames: the sampler's noise comes from (seed, window, step) and the anchor frame from the
 * checkpoint.
 */
class LivePortraitResumeTest {

  /** The JoyVASA layout's keypoint-19 y expression value: the lower lip. */
  static final int LOWER_LIP = 19 * 3 + 1;

  @TempDir Path dir;

  @Test
  void aDiffusionDrivenJobFollowsTheSpeechAndResumesToTheSameFrames() throws Exception {
    Path pack = dir.resolve("lp-diffusion");
    DiffusionTwin.generatePack(pack);
    Path narration = FarmCli.excerpt(ReferenceRender.NARRATION, 6, dir.resolve("narration.wav"));
    String[] common = {
      "render",
      "--portrait",
      "../examples/portraits/hopper.jpg",
      "--audio",
      narration.toString(),
      "--fps",
      "10",
      "--model-pack",
      pack.toString(),
      "--job-id",
      "lp-diffusion"
    };
    // An uninterrupted run
    Path straight = dir.resolve("straight.mp4");
    Path straightData = dir.resolve("straight-data");
    FarmCli.Run run =
        FarmCli.run(
            concat(common, "--out", straight.toString(), "--data-dir", straightData.toString()));
    assertThat(run.code()).as(run.err()).isZero();
    DecodedVideo video = DecodedVideo.decode(straight);
    assertThat(video.frames()).hasSize(60);
    // The hand-annotated mouth region follows the generated lower-lip motion.
    var mouth = AnnotatedPortraits.named(DrivingVideoTest.ANNOTATIONS, "hopper").mouth();
    float[][] motion =
        ParkedMotion.read(new BlobStore(straightData.resolve("blobs")), "lp-diffusion");
    assertThat(motion).hasNumberOfRows(60);
    double[] lip = DrivingFarm.channel(motion, LOWER_LIP);
    // The mouth region's difference from the frame whose mouth is the most closed: it grows as the
    // mouth opens.
    double[] activity =
        DrivingVideoTest.mouthActivity(video, mouth, LivePortraitFarmTest.argMin(lip));
    double r = DrivingFarm.correlation(activity, lip);
    System.out.printf(
        Locale.ROOT,
        "LivePortrait twin, diffusion motion: mouth follows the lower lip, r = %.3f%n",
        r);
    assertThat(r).isGreaterThan(0.6);
    // The same job in its own process, killed after its first segment and rerun
    List<String> reference = DecodedVideo.frameHashes(straight);
    Path data = dir.resolve("data");
    Path out = dir.resolve("out/resumed.mp4");
    String[] args = concat(common, "--out", out.toString(), "--data-dir", data.toString());
    try (FarmProcess p = FarmProcess.start("lp-0", dir.resolve("lp-0.log"), List.of(), args)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (EmbeddedResumeTest.segments(data) < 1) {
        assertThat(p.alive()).as(p.tail()).isTrue();
        assertThat(System.nanoTime()).as("no segment in time").isLessThan(deadline);
        Thread.sleep(20);
      }
      p.kill();
    }
    assertThat(out).as("no output before the job completes").doesNotExist();
    FarmProcess last = FarmProcess.start("lp-1", dir.resolve("lp-1.log"), List.of(), args);
    int code = last.await(Duration.ofMinutes(3));
    assertThat(code).as(last.tail()).isZero();
    assertThat(last.log()).contains("Resuming job");
    assertThat(DecodedVideo.frameHashes(out)).isEqualTo(reference);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
