package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.audio.AudioDecoder;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.motion.ParkedMotion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Video-driven jobs (X-Portrait's task) on the embedded farm, with a driving video whose motion is
 * known: the farm's own audio-driven render of the astronaut, whose motion windows it parked.
 */
class DrivingVideoTest {

  static final Path ASTRONAUT = ReferenceRender.ASTRONAUT;
  static final Path NARRATION = ReferenceRender.NARRATION;
  static final Path HOPPER = Path.of("../examples/portraits/hopper.jpg");
  static final Path ANNOTATIONS = Path.of("../examples/portraits/annotations.json");

  /** Channels of the reference pack. */
  static final int YAW = 0;

  static final int ROLL = 2;
  static final int JAW = 5;
  static final int EYELID = 7;

  @TempDir static Path dir;
  static DrivingFarm farm;
  static DrivingFarm.Done known;
  static DrivingFarm.Done driven;

  @BeforeAll
  static void renderTheKnownMotion() throws Exception {
    farm = new DrivingFarm(dir);
    // Given the astronaut speaking the narration with three times the pack's head motion, so that
    // the head's turns are a few degrees, as a speaker's are
    known =
        farm.run(
            new JobClient.Request(
                ASTRONAUT, NARRATION, 25, 7, null, false, farm.farm.pack().id(), 21),
            s ->
                s.toBuilder()
                    .setOptions(s.getOptions().toBuilder().setHeadMotionScale(3f))
                    .build());
    assertThat(known.event().getState())
        .as(known.event().getReason())
        .isEqualTo(JobState.COMPLETED);
    // When another portrait (glasses, a cap) is driven by that video
    driven =
        farm.run(
            new JobClient.Request(
                HOPPER, null, 0, 0, null, false, farm.farm.pack().id(), 21, known.output(), 25));
    assertThat(driven.event().getState())
        .as(driven.event().getReason())
        .isEqualTo(JobState.COMPLETED);
  }

  @AfterAll
  static void stop() {
    if (farm != null) {
      farm.close();
    }
  }

  @Test
  void closedLoopTheExtractedMotionFollowsTheKnownMotion() throws Exception {
    float[][] truth = farm.motion(known.jobId());
    float[][] got = farm.motion(driven.jobId());
    // Then it has as many frames, and its channels follow the known ones
    assertThat(got.length).isEqualTo(truth.length);
    double jaw =
        DrivingFarm.correlation(DrivingFarm.channel(truth, JAW), DrivingFarm.channel(got, JAW));
    double yaw =
        DrivingFarm.correlation(DrivingFarm.channel(truth, YAW), DrivingFarm.channel(got, YAW));
    double roll =
        DrivingFarm.correlation(DrivingFarm.channel(truth, ROLL), DrivingFarm.channel(got, ROLL));
    List<Integer> blinks = ParkedMotion.peaks(DrivingFarm.channel(truth, EYELID), 0.5);
    List<Integer> found = ParkedMotion.peaks(DrivingFarm.channel(got, EYELID), 0.35);
    int matched = 0;
    for (int b : blinks) {
      if (found.stream().anyMatch(f -> Math.abs(f - b) <= 2)) {
        matched++;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "closed loop: jaw %.3f, yaw %.3f, roll %.3f, blinks %d of %d found (%d peaks)%n",
        jaw,
        yaw,
        roll,
        matched,
        blinks.size(),
        found.size());
    assertThat(jaw).isGreaterThanOrEqualTo(0.8);
    assertThat(yaw).isGreaterThanOrEqualTo(0.8);
    assertThat(roll).isGreaterThanOrEqualTo(0.8);
    assertThat(matched).isGreaterThanOrEqualTo((int) Math.ceil(0.9 * blinks.size()));
  }

  @Test
  void crossIdentityTheDrivenMouthFollowsTheDriversAndTheOutputKeepsItsTimeAndSound()
      throws Exception {
    DecodedVideo driver = DecodedVideo.decode(known.output());
    DecodedVideo out = DecodedVideo.decode(driven.output());
    // Mouth boxes annotated by hand (examples/portraits/annotations.json), the jaw below included
    var driverMouth = AnnotatedPortraits.named(ANNOTATIONS, "astronaut").mouth();
    var drivenMouth = AnnotatedPortraits.named(ANNOTATIONS, "hopper").mouth();
    double[] a = mouthActivity(driver, driverMouth);
    double[] b = mouthActivity(out, drivenMouth);
    double r = DrivingFarm.correlation(a, b);
    System.out.printf(Locale.ROOT, "cross-identity: mouth activity correlation %.3f%n", r);
    assertThat(r).isGreaterThanOrEqualTo(0.6);
    // The driven mouth really moves: its busiest frames differ from its stillest by several levels
    double[] sorted = b.clone();
    java.util.Arrays.sort(sorted);
    assertThat(sorted[(int) (0.95 * sorted.length)] - sorted[(int) (0.05 * sorted.length)])
        .isGreaterThan(3);
    // Same duration as the driving video, and the driving video's sound
    assertThat(out.frames()).hasSameSizeAs(driver.frames());
    assertThat(out.audioCodec()).isEqualTo("aac");
    assertThat(out.audioSeconds()).isCloseTo(driver.audioSeconds(), within(0.1));
  }

  @Test
  void outputsAt24And30FpsHaveRoundDurationTimesFpsFramesAudioAndVideoDriven() throws Exception {
    // Lengths that are no whole number of frames at either rate: 5.3 s of the narration and
    // 4.72 s (118 frames at 25 fps) of the driving video.
    Path narrationCut = FarmCli.excerpt(NARRATION, 5.3, dir.resolve("narration-5.3.wav"));
    Path drivingCut = FarmCli.excerpt(known.output(), 4.72, dir.resolve("driving-4.72.mp4"));
    long samples = AudioDecoder.decode(narrationCut, 16_000, buf -> buf.position(buf.limit()));
    double narration = samples / 16_000.0;
    double drivingSeconds = DecodedVideo.decode(drivingCut).frames().size() / 25.0;
    for (int fps : new int[] {24, 30}) {
      DrivingFarm.Done audio =
          farm.run(
              new JobClient.Request(
                  ASTRONAUT, narrationCut, fps, 0, null, false, farm.farm.pack().id(), 5.3));
      DrivingFarm.Done video =
          farm.run(
              new JobClient.Request(
                  HOPPER, null, fps, 0, null, false, farm.farm.pack().id(), 5.3, drivingCut, 25));
      for (var done : List.of(audio, video)) {
        assertThat(done.event().getState())
            .as(done.event().getReason())
            .isEqualTo(JobState.COMPLETED);
      }
      DecodedVideo a = DecodedVideo.decode(audio.output());
      DecodedVideo v = DecodedVideo.decode(video.output());
      System.out.printf(
          Locale.ROOT,
          "%d fps: narration %.3f s -> %d frames; driving video %.3f s -> %d frames%n",
          fps,
          narration,
          a.frames().size(),
          drivingSeconds,
          v.frames().size());
      assertThat(a.frames()).hasSize((int) Math.round(narration * fps));
      assertThat(v.frames()).hasSize((int) Math.round(drivingSeconds * fps));
      for (DecodedVideo d : List.of(a, v)) {
        int n = d.frames().size();
        assertThat(d.timestamps().get(n - 1) / 1e6)
            .isCloseTo((n - 1) / (double) fps, within(0.002));
        assertThat(d.audioCodec()).isEqualTo("aac");
      }
    }
  }

  @Test
  void aCutAFacelessStretchAndASecondFaceReanchorWithoutAJump() throws Exception {
    // Given a driving video: the speaker, a cut to a faceless still, a cut to another face (a
    // tilted head), and the speaker again; no sound track
    Path video = dir.resolve("cuts.mp4");
    DrivingFarm.join(
        video,
        25,
        null,
        new DrivingFarm.Part(known.output(), 120),
        new DrivingFarm.Part(Path.of("../examples/portraits/coffee.png"), 30),
        new DrivingFarm.Part(Path.of("../examples/portraits/astronaut_tilted.png"), 40),
        new DrivingFarm.Part(known.output(), 120));
    // When a portrait is driven by it
    DrivingFarm.Done done =
        farm.run(
            new JobClient.Request(
                HOPPER, null, 0, 0, null, false, farm.farm.pack().id(), 12, video, 25));
    // Then the job completes with every frame and no sound track
    assertThat(done.event().getState()).as(done.event().getReason()).isEqualTo(JobState.COMPLETED);
    DecodedVideo out = DecodedVideo.decode(done.output());
    assertThat(out.frames()).hasSize(310);
    assertThat(out.streams()).isEqualTo(1);
    assertThat(out.audioCodec()).isNull();
    // and the head never jumps: on the frames where it re-anchors (the cuts) it moves no more
    // than on most frames within the shots
    float[][] m = farm.motion(done.jobId());
    List<Double> steps = new ArrayList<>();
    double atCuts = 0;
    for (int i = 1; i < m.length; i++) {
      double step = Math.hypot(m[i][YAW] - m[i - 1][YAW], m[i][ROLL] - m[i - 1][ROLL]);
      if (i == 120 || i == 150 || i == 190) {
        atCuts = Math.max(atCuts, step);
      } else {
        steps.add(step);
      }
    }
    java.util.Collections.sort(steps);
    double typical = steps.get((int) (0.95 * steps.size()));
    System.out.printf(
        Locale.ROOT,
        "cuts: largest head step %.4f at the re-anchors; 95th percentile within shots %.4f%n",
        atCuts,
        typical);
    assertThat(atCuts).isLessThanOrEqualTo(typical);
    // and the faceless stretch eases back to rest
    double restAt = Math.hypot(m[149][YAW], m[149][ROLL]);
    double before = Math.hypot(m[119][YAW], m[119][ROLL]);
    assertThat(restAt).isLessThanOrEqualTo(Math.max(before, 1e-3));
    // and the preview handles a job without sound
    var plan = plan(done.jobId());
    assertThat(plan.hasSound()).isFalse();
    assertThat(plan.getFps()).isEqualTo(25);
    var hls = new dev.actorfarm.launcher.api.HlsPreview(farm.farm.blobs());
    var windows =
        hls.prefix(
            farm.farm
                .blobs()
                .resolve(
                    dev.actorfarm.runtime.blob.BlobStore.SCHEME
                        + dev.actorfarm.runtime.blob.JobPaths.segments(done.jobId())));
    Path ts = hls.segment(plan, windows.get(0));
    DecodedVideo preview = DecodedVideo.decode(ts);
    assertThat(preview.streams()).isEqualTo(1);
    assertThat(preview.frames()).hasSize(windows.get(0).frameCount());
  }

  @Test
  void aVideoWithoutAnyFaceFailsItsJobWithOneLine() throws Exception {
    Path video = dir.resolve("faceless.mp4");
    DrivingFarm.join(
        video, 25, null, new DrivingFarm.Part(Path.of("../examples/portraits/coffee.png"), 50));
    DrivingFarm.Done done =
        farm.run(
            new JobClient.Request(
                HOPPER, null, 0, 0, null, false, farm.farm.pack().id(), 2, video, 25));
    assertThat(done.event().getState()).isEqualTo(JobState.FAILED);
    assertThat(done.event().getReason())
        .contains("no face found in any frame")
        .doesNotContain("\n")
        .doesNotContain("Exception");
  }

  @Test
  void aReplacementSoundTrackTakesTheDrivingVideosPlaceForItsLength() throws Exception {
    // Given 4 s of the speaker without sound, and the 21 s narration to replace it
    Path video = dir.resolve("silent.mp4");
    DrivingFarm.join(video, 25, null, new DrivingFarm.Part(known.output(), 100));
    DrivingFarm.Done done =
        farm.run(
            new JobClient.Request(
                HOPPER, NARRATION, 0, 0, null, false, farm.farm.pack().id(), 4, video, 25));
    assertThat(done.event().getState()).as(done.event().getReason()).isEqualTo(JobState.COMPLETED);
    DecodedVideo out = DecodedVideo.decode(done.output());
    // Then the output is the video's 4 s, with the narration's first 4 s as its sound
    assertThat(out.frames()).hasSize(100);
    assertThat(out.audioCodec()).isEqualTo("aac");
    assertThat(out.audioSeconds()).isCloseTo(4.0, within(0.1));
  }

  static dev.actorfarm.protocol.JobPlan plan(String jobId) throws Exception {
    var records =
        dev.actorfarm.runtime.kafka.TopicReader.readKey(
            farm.farm.kafka().bootstrapServers(),
            dev.actorfarm.protocol.Topics.JOB_PLANS.name(),
            jobId);
    return dev.actorfarm.protocol.Topics.JOB_PLANS.parse(records.get(records.size() - 1).value());
  }

  /** Per frame: how far the mouth region (and the jaw below it) is from the video's first frame. */
  static double[] mouthActivity(DecodedVideo v, AnnotatedPortraits.Box mouth) {
    return mouthActivity(v, mouth, 0);
  }

  /** The mouth region's mean absolute difference from frame {@code reference}, per frame. */
  static double[] mouthActivity(DecodedVideo v, AnnotatedPortraits.Box mouth, int reference) {
    int x = (int) Math.round(mouth.x());
    int y = (int) Math.round(mouth.y());
    int w = (int) Math.round(mouth.width());
    int h = (int) Math.round(mouth.height() * 2);
    double[] out = new double[v.frames().size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.diff(i, reference, x, y, w, h);
    }
    return out;
  }
}
