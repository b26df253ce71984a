package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.JobState;
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

  /** Channels of the reference pack. */
  static final int YAW = 0;

  static final int ROLL = 2;
  static final int JAW = 5;
  static final int EYELID = 7;

  @TempDir static Path dir;
  static DrivingFarm farm;
  static DrivingFarm.Done known;

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
    assertThat(known.event().getState()).as(known.event().getReason()).isEqualTo(JobState.COMPLETED);
  }

  @AfterAll
  static void stop() {
    if (farm != null) {
      farm.close();
    }
  }

  @Test
  void closedLoopTheExtractedMotionFollowsTheKnownMotion() throws Exception {
    // When another portrait is driven by that video
    DrivingFarm.Done driven =
        farm.run(
            new JobClient.Request(
                HOPPER, null, 0, 0, null, false, farm.farm.pack().id(), 21, known.output(), 25));
    assertThat(driven.event().getState())
        .as(driven.event().getReason())
        .isEqualTo(JobState.COMPLETED);
    float[][] truth = farm.motion(known.jobId());
    float[][] got = farm.motion(driven.jobId());
    // Then it has as many frames, and its channels follow the known ones
    assertThat(got.length).isEqualTo(truth.length);
    double jaw = DrivingFarm.correlation(DrivingFarm.channel(truth, JAW), DrivingFarm.channel(got, JAW));
    double yaw = DrivingFarm.correlation(DrivingFarm.channel(truth, YAW), DrivingFarm.channel(got, YAW));
    double roll =
        DrivingFarm.correlation(DrivingFarm.channel(truth, ROLL), DrivingFarm.channel(got, ROLL));
    List<Integer> blinks = peaks(DrivingFarm.channel(truth, EYELID), 0.5);
    List<Integer> found = peaks(DrivingFarm.channel(got, EYELID), 0.35);
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
    StringBuilder dump = new StringBuilder();
    for (int i = 0; i < truth.length; i++) {
      dump.append(String.format(Locale.ROOT, "%d %.4f %.4f %.4f %.4f %.4f %.4f %.3f %.3f%n", i,
          truth[i][YAW], got[i][YAW], truth[i][ROLL], got[i][ROLL], truth[i][JAW], got[i][JAW],
          truth[i][EYELID], got[i][EYELID]));
    }
    java.nio.file.Files.writeString(Path.of("/tmp/closed-loop.txt"), dump);
    assertThat(jaw).isGreaterThanOrEqualTo(0.8);
    assertThat(yaw).isGreaterThanOrEqualTo(0.8);
    assertThat(roll).isGreaterThanOrEqualTo(0.8);
    assertThat(matched).isGreaterThanOrEqualTo((int) Math.ceil(0.9 * blinks.size()));
  }

  /** Frames where {@code v} has a local maximum above {@code threshold} (one per excursion). */
  static List<Integer> peaks(double[] v, double threshold) {
    List<Integer> out = new ArrayList<>();
    int i = 0;
    while (i < v.length) {
      if (v[i] > threshold) {
        int best = i;
        while (i < v.length && v[i] > threshold) {
          if (v[i] > v[best]) {
            best = i;
          }
          i++;
        }
        out.add(best);
      } else {
        i++;
      }
    }
    return out;
  }
}
