package dev.actorfarm.runtime.direction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.actorfarm.protocol.Cue;
import dev.actorfarm.protocol.Direction;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectionsTest {

  @TempDir Path dir;

  static final List<PackManifest.Control> PACK =
      List.of(
          PackManifest.Control.named("emotion_happy"),
          new PackManifest.Control("style", 0f, 3f, 0f));

  @Test
  void anEmotionTimelineReadsLabelIntensityAndTime() throws Exception {
    List<Cue> cues = Directions.parseEmotions("happy:0.8@0, Sad:0.6@42.5,neutral@60");
    assertThat(cues).hasSize(3);
    assertThat(cues.get(0).getEmotion()).isEqualTo("happy");
    assertThat(cues.get(0).getIntensity()).isEqualTo(0.8f);
    assertThat(cues.get(1).getEmotion()).isEqualTo("sad");
    assertThat(cues.get(1).getTimeS()).isEqualTo(42.5);
    assertThat(cues.get(2).getIntensity()).isEqualTo(1f);
    // a single emotion without a time is the whole job's
    assertThat(Directions.parseEmotions("surprised:0.5").get(0).getTimeS()).isZero();
  }

  @Test
  void jsonAndCsvCueSheetsSayTheSame() throws Exception {
    Path json = dir.resolve("cues.json");
    Files.writeString(
        json,
        "{\"controls\": {\"head_motion_scale\": 0.5},"
            + " \"cues\": [{\"time\": 0, \"emotion\": \"happy\", \"intensity\": 0.7},"
            + " {\"time\": 3.5, \"emotion\": \"sad\", \"ease\": 1.5, \"gaze_x\": -0.4}]}");
    Path csv = dir.resolve("cues.csv");
    Files.writeString(
        csv,
        "# a director's sheet\ntime,emotion,intensity,ease,gaze_x\n0,happy,0.7,,\n3.5,sad,,1.5,-0.4\n");
    Direction a = Directions.readCueSheet(json);
    Direction b =
        Directions.readCueSheet(csv).toBuilder().putControls("head_motion_scale", 0.5f).build();
    assertThat(a).isEqualTo(b);
    assertThat(a.getCues(1).getIntensity()).isEqualTo(1f);
    assertThat(a.getCues(1).getControlsMap()).containsEntry("gaze_x", -0.4f);
    Directions.check(a, 10, PACK);
  }

  @Test
  void badCuesAreRefusedWithOneLineEach() throws Exception {
    assertRefused(
        check("hapy@0", 60), "cue 1 at 0 s: unknown emotion 'hapy' (one of neutral, happy,");
    assertRefused(check("happy:1.4@0", 60), "cue 1 at 0 s: intensity 1.4 is outside 0..1");
    assertRefused(check("happy@5,sad@3", 60), "cue 2 at 3 s is not after cue 1 at 5 s");
    assertRefused(check("happy@5,sad@5", 60), "cue 2 at 5 s is not after cue 1 at 5 s");
    assertRefused(
        check("happy@0,sad@75", 60), "cue 2 at 75 s is past the end of the narration (60 s)");
    assertRefused(
        () -> Directions.parseEmotions("happy@0,sad"), "--emotion item 2 'sad' has no time");
    assertRefused(
        () -> Directions.parseEmotions("happy@soon"),
        "--emotion item 1 'happy@soon': time 'soon' is not a number");
    Direction unknown = Direction.newBuilder().putControls("wobble", 1f).build();
    assertRefused(
        () -> Directions.check(unknown, 10, PACK), "control 'wobble' is unknown (the farm's:");
    Direction range = Direction.newBuilder().putControls("style", 4f).build();
    assertRefused(() -> Directions.check(range, 10, PACK), "control style = 4.0 is outside 0..3");
    Direction blink = Direction.newBuilder().putControls("blink_rate", 100f).build();
    assertRefused(
        () -> Directions.check(blink, 10, PACK), "control blink_rate = 100.0 is outside 0..60");
    assertRefused(
        () -> Directions.parseJson("[{\"emotion\": \"sad\"}]", "cues.json"),
        "cues.json cue 1 has no time");
    assertRefused(
        () -> Directions.parseJson("{\"cues\": [", "cues.json"), "cues.json is not valid JSON");
    assertRefused(
        () -> Directions.parseCsv("emotion\nhappy\n"), "cue sheet header has no 'time' column");
    assertRefused(
        () -> Directions.parseCsv("time,emotion\n1,happy,0.5\n"),
        "cue sheet row 2 has 3 cells, the header 2");
  }

  private interface Call {
    void run() throws Exception;
  }

  private static Call check(String timeline, double seconds) {
    return () ->
        Directions.check(
            Direction.newBuilder().addAllCues(Directions.parseEmotions(timeline)).build(),
            seconds,
            PACK);
  }

  private static void assertRefused(Call call, String start) {
    assertThatThrownBy(call::run)
        .isInstanceOf(Directions.BadDirection.class)
        .satisfies(e -> assertThat(e.getMessage()).startsWith(start).doesNotContain("\n"));
  }
}
