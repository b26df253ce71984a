package dev.actorfarm.runtime.direction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.protocol.Direction;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlTrackTest {

  static final List<PackManifest.Control> CONTROLS =
      List.of(
          PackManifest.Control.named("emotion_neutral"),
          PackManifest.Control.named("emotion_happy"),
          PackManifest.Control.named("emotion_sad"),
          PackManifest.Control.named("head_motion_scale"),
          new PackManifest.Control("pack_only", -5f, 5f, 2f));

  static RenderOptions options(String emotion, Direction.Builder d) throws Exception {
    if (emotion != null) {
      d.addAllCues(Directions.parseEmotions(emotion));
    }
    return RenderOptions.newBuilder().setDirection(d).build();
  }

  @Test
  void cuesEaseAlongASmoothstepFromTheirTime() throws Exception {
    // Given happy at 0.8 from the start, sad at 0.6 from 4 s, neutral from 6 s
    ControlTrack t =
        new ControlTrack(
            options("happy:0.8@0,sad:0.6@4,neutral@6", Direction.newBuilder()), CONTROLS);
    // Then a cue at 0 s holds at once, neutral taking what the emotion leaves
    assertThat(t.at(0)).containsExactly(new float[] {0.2f, 0.8f, 0f, 1f, 2f}, within(1e-6f));
    assertThat(t.at(3.99)).containsExactly(new float[] {0.2f, 0.8f, 0f, 1f, 2f}, within(1e-6f));
    // and a later cue eases over 0.8 s: half way at 0.4 s, there at 0.8 s
    float[] mid = t.at(4.4);
    assertThat(mid[1]).isCloseTo(0.4f, within(1e-5f));
    assertThat(mid[2]).isCloseTo(0.3f, within(1e-5f));
    assertThat(mid[0]).isCloseTo(0.3f, within(1e-5f));
    assertThat(t.at(4.8)).containsExactly(new float[] {0.4f, 0f, 0.6f, 1f, 2f}, within(1e-6f));
    assertThat(t.at(7)).containsExactly(new float[] {1f, 0f, 0f, 1f, 2f}, within(1e-6f));
    // and the weights always sum to 1, with no step larger than a smoothstep's at 25 fps
    float[] frames = t.frames(0, 250, 25);
    float biggest = 0;
    for (int f = 0; f < 250; f++) {
      float sum = frames[f * 5] + frames[f * 5 + 1] + frames[f * 5 + 2];
      assertThat(sum).isCloseTo(1f, within(1e-5f));
      if (f > 0) {
        for (int c = 0; c < 3; c++) {
          biggest = Math.max(biggest, Math.abs(frames[f * 5 + c] - frames[(f - 1) * 5 + c]));
        }
      }
    }
    // a 0.8 → 0 change over 20 frames: at most 1.5 × 0.8 / 20 per frame
    assertThat(biggest).isLessThanOrEqualTo(1.5f * 0.8f / 20 + 1e-5f);
  }

  @Test
  void knobsHoldAndCuesChangeAnyControlByName() throws Exception {
    // Given a knob and a cue on a pack's own control, eased over 2 s, cut short by the next cue
    Direction.Builder d = Direction.newBuilder().putControls("head_motion_scale", 0.5f);
    d.addCuesBuilder().setTimeS(1).putControls("pack_only", -3f).setEaseS(2f);
    d.addCuesBuilder().setTimeS(2).putControls("pack_only", 4f);
    ControlTrack t = new ControlTrack(options(null, d), CONTROLS);
    // Then the knob holds, the pack's control starts at its default and is cut short at 2 s
    assertThat(t.at(0)[3]).isEqualTo(0.5f);
    assertThat(t.at(0.5)[4]).isEqualTo(2f);
    assertThat(t.at(1.5)[4]).isCloseTo(-0.5f, within(1e-5f)); // half way over the 1 s it has
    assertThat(t.at(2)[4]).isCloseTo(-3f, within(1e-5f));
    assertThat(t.at(2.4)[4]).isCloseTo(0.5f, within(1e-5f));
    assertThat(t.at(5)[4]).isEqualTo(4f);
    // and the controls get the farm's ranges and defaults where the pack gives none
    assertThat(t.controls().get(3).min()).isEqualTo(0f);
    assertThat(t.controls().get(3).max()).isEqualTo(2f);
  }

  @Test
  void theTwoOlderKnobsAreReadAsControls() {
    RenderOptions o =
        RenderOptions.newBuilder().setHeadMotionScale(0.25f).setExpressionIntensity(1.5f).build();
    ControlTrack t =
        new ControlTrack(
            o,
            List.of(
                PackManifest.Control.named("head_motion_scale"),
                PackManifest.Control.named("expression_scale")));
    assertThat(t.at(3)).containsExactly(new float[] {0.25f, 1.5f}, within(1e-6f));
  }

  @Test
  void aJobWithoutDirectionGetsEveryDefault() {
    ControlTrack t = new ControlTrack(RenderOptions.getDefaultInstance(), CONTROLS);
    assertThat(t.at(12.5)).containsExactly(new float[] {1f, 0f, 0f, 1f, 2f}, within(1e-6f));
  }
}
