package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.LivePortraitTwin;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.motion.ParkedMotion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driving video through a LivePortrait-family pack's own motion extractor: the twin pack drives
 * Grace Hopper's portrait with the first 8 s of the reference render (the astronaut speaking, whose
 * jaw motion is known from that job's parked motion). The motion windows carry the extractor's
 * values in the JoyVASA layout with the first driving frame as their anchor, and the hand-annotated
 * mouth region of the output follows the driver's jaw.
 */
class LivePortraitDrivingTest {

  @TempDir Path dir;

  @Test
  void theTwinsOwnMotionExtractorDrivesThePortraitAndItsMouthFollowsTheDriver() throws Exception {
    Path pack = dir.resolve("lp");
    LivePortraitTwin.generate(pack);
    Path driving =
        FarmCli.excerpt(ReferenceRender.output(), 8, dir.resolve("take.mp4"), "-c", "copy");
    Path out = dir.resolve("driven.mp4");
    Path data = dir.resolve("data");
    FarmCli.Run run =
        FarmCli.run(
            "render",
            "--portrait",
            "../examples/portraits/hopper.jpg",
            "--driving",
            driving.toString(),
            "--fps",
            "10",
            "--model-pack",
            pack.toString(),
            "--job-id",
            "lp-driven",
            "--out",
            out.toString(),
            "--data-dir",
            data.toString());
    assertThat(run.code()).as(run.err()).isZero();
    // The motion is the extractor's: 70 values a frame, with the first driving frame as anchor.
    BlobStore blobs = new BlobStore(data.resolve("blobs"));
    float[][] motion = ParkedMotion.read(blobs, "lp-driven");
    assertThat(motion).hasNumberOfRows(80);
    assertThat(motion[0]).hasSize(70);
    // The driver's jaw, from the reference job's own parked motion (25 fps → 10 fps).
    BlobStore refBlobs = new BlobStore(ReferenceRender.get().dataDir().resolve("blobs"));
    String refJob;
    try (var jobs = Files.list(ReferenceRender.get().dataDir().resolve("blobs/jobs"))) {
      refJob = jobs.findFirst().orElseThrow().getFileName().toString();
    }
    double[] jaw25 = DrivingFarm.channel(ParkedMotion.read(refBlobs, refJob), DrivingVideoTest.JAW);
    double[] jaw = new double[80];
    for (int k = 0; k < jaw.length; k++) {
      jaw[k] = jaw25[(int) Math.round(k * 2.5)];
    }
    DecodedVideo video = DecodedVideo.decode(out);
    assertThat(video.frames()).hasSize(80);
    var mouth = AnnotatedPortraits.named(DrivingVideoTest.ANNOTATIONS, "hopper").mouth();
    double[] activity =
        DrivingVideoTest.mouthActivity(video, mouth, LivePortraitFarmTest.argMin(jaw));
    double r = DrivingFarm.correlation(activity, jaw);
    System.out.printf(
        Locale.ROOT,
        "LivePortrait twin, driving video: mouth follows the driver's jaw, r = %.3f%n",
        r);
    assertThat(r).isGreaterThan(0.6);
  }
}
