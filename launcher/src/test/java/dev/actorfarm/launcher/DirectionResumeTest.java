package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.DecodedVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directed job is a pure function of its inputs, its direction and its seed: rendered twice it
 * gives the same frames, and killed with SIGKILL in the middle of a transition (one that straddles
 * a motion window's boundary, so the resumed entity restarts inside it) and rerun, it resumes to
 * the same frames too. Bad direction is refused with one line before anything starts.
 */
class DirectionResumeTest {

  @TempDir Path dir;

  /** Each change eases over 0.8 s across a 2 s window boundary (at 2, 8 and 12 s). */
  static final String TIMELINE = "neutral@0,happy:0.9@1.6,sad:0.7@7.6,surprised@11.7";

  private String[] args(Path data, Path out) {
    return new String[] {
      "render",
      "--portrait",
      ReferenceRender.ASTRONAUT.toString(),
      "--audio",
      ReferenceRender.NARRATION.toString(),
      "--emotion",
      TIMELINE,
      "--gaze",
      "wander",
      "--head-motion",
      "0.7",
      "--out",
      out.toString(),
      "--data-dir",
      data.toString()
    };
  }

  @Test
  void aDirectedJobKilledMidTransitionResumesToTheSameFrames() throws Exception {
    // Given the directed job rendered once without interruption
    Path firstOut = dir.resolve("first/out.mp4");
    FarmCli.Run first = FarmCli.run(args(dir.resolve("first-data"), firstOut));
    assertThat(first.code()).as(first.err()).isZero();
    DecodedVideo uninterrupted = DecodedVideo.decode(firstOut);
    // (its direction shows: the frames are not the undirected render's)
    assertThat(uninterrupted.hashes()).isNotEqualTo(ReferenceRender.get().video().hashes());
    // When the same command runs again in another data directory, killed after its first window
    // (the motion entity then restarts at window 1, inside the transition to happy) and rerun
    Path data = dir.resolve("data");
    Path out = dir.resolve("out/resumed.mp4");
    List<String> props =
        List.of(
            "actorfarm.motion.simulated-latency=300ms",
            "actorfarm.model-pack.dir=" + ReferenceRender.pack());
    Path farmLog = data.resolve("farm.log");
    try (FarmProcess p =
        FarmProcess.start("killed", dir.resolve("killed.log"), props, args(data, out))) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!Files.exists(farmLog) || !Files.readString(farmLog).contains("generated window 3")) {
        assertThat(System.nanoTime()).as(p.tail()).isLessThan(deadline);
        assertThat(p.alive()).as(p.tail()).isTrue();
        Thread.sleep(10);
      }
      p.kill();
    }
    assertThat(out).doesNotExist();
    int before = Files.readAllLines(farmLog).size();
    FarmProcess rerun =
        FarmProcess.start("rerun", dir.resolve("rerun.log"), props, args(data, out));
    assertThat(rerun.await(Duration.ofMinutes(3))).as(rerun.tail()).isZero();
    assertThat(rerun.log()).contains("Resuming job");
    // (the rerun's motion entity restarted at window 3 or 4, 6-10 s: inside the ease to sad)
    List<String> all = Files.readAllLines(farmLog);
    List<String> restarts =
        all.subList(before, all.size()).stream()
            .filter(l -> l.contains("restored from its checkpoint"))
            .toList();
    System.out.println("Direction resume: " + restarts);
    assertThat(restarts).hasSize(1);
    assertThat(restarts.get(0)).containsAnyOf("started at window 3,", "started at window 4,");
    // Then both runs give the uninterrupted run's frames, frame for frame
    assertThat(DecodedVideo.decode(out).hashes()).isEqualTo(uninterrupted.hashes());
  }

  @Test
  void badDirectionIsRefusedWithOneLine() {
    String[] portrait = {
      "--portrait",
      ReferenceRender.ASTRONAUT.toString(),
      "--audio",
      ReferenceRender.NARRATION.toString()
    };
    assertThat(refused(portrait, "--emotion", "happy@0,elated@4"))
        .contains("cue 2 at 4 s: unknown emotion 'elated' (one of neutral, happy, sad, angry,");
    assertThat(refused(portrait, "--emotion", "sad:2@0")).contains("intensity 2.0 is outside 0..1");
    assertThat(refused(portrait, "--emotion", "happy@5,sad@2"))
        .contains("cue 2 at 2 s is not after cue 1 at 5 s: cues must be in time order");
    assertThat(refused(portrait, "--emotion", "happy@0,sad@30"))
        .contains("cue 2 at 30 s is past the end of the narration (21.124 s)");
    assertThat(refused(portrait, "--control", "sparkle=1"))
        .contains("control 'sparkle' is unknown (the farm's: emotion_neutral");
    assertThat(refused(portrait, "--head-motion", "3"))
        .contains("head_motion_scale = 3.0 is outside 0..2");
    assertThat(refused(portrait, "--gaze", "left"))
        .contains("--gaze must be camera, wander or X,Y");
    assertThat(refused(portrait, "--emotion", "happy@0", "--cues", "x.json"))
        .contains("give --emotion or --cues, not both");
    assertThat(refused(portrait, "--cues", dir.resolve("missing.csv").toString()))
        .contains("cannot read cue sheet");
  }

  @Test
  void aDrivingVideoIsNotDirected() throws Exception {
    Path video = ReferenceRender.output();
    String[] inputs = {
      "--portrait", ReferenceRender.ASTRONAUT.toString(), "--driving", video.toString()
    };
    assertThat(refused(inputs, "--emotion", "happy@0"))
        .contains("with a driving video its face sets the performance");
  }

  private String refused(String[] inputs, String... more) {
    String[] all = java.util.Arrays.copyOf(inputs, inputs.length + more.length);
    System.arraycopy(more, 0, all, inputs.length, more.length);
    return CliRefusal.refused(dir.resolve("refused"), all);
  }
}
