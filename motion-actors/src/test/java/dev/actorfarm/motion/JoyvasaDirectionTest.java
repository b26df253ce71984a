package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.protocol.Direction;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.runtime.direction.Directions;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A direction on JoyVASA-layout motion (LivePortrait family), as host edits after generation. */
class JoyvasaDirectionTest {

  static PackManifest.MotionGenerator generator(List<PackManifest.Control> controls) {
    return new PackManifest.MotionGenerator(
        "g.onnx", 100, 25, 70, List.of(), List.of(), controls, "ddim", 25, 1f, Map.of(), Map.of());
  }

  /** Two frames of motion: the rest pose with the head turned and the lips apart. */
  static float[] motion(float[] rest) {
    float[] m = new float[140];
    for (int f = 0; f < 2; f++) {
      System.arraycopy(rest, 0, m, f * 70, 70);
      m[f * 70 + 67] += 6; // pitch
      m[f * 70 + 68] -= 4; // yaw
      m[f * 70 + 3 * 19 + 1] += 0.02f; // lower lip down
    }
    return m;
  }

  static float[] edited(String timeline, Map<String, Float> knobs, List<PackManifest.Control> own)
      throws Exception {
    float[] rest = new float[70];
    rest[63] = 1.2f;
    rest[67] = 2;
    Direction.Builder d = Direction.newBuilder().putAllControls(knobs);
    if (timeline != null) {
      d.addAllCues(Directions.parseEmotions(timeline));
    }
    float[] m = motion(rest);
    new JoyvasaDirection(RenderOptions.newBuilder().setDirection(d).build(), generator(own))
        .apply(m, 0, 2, 25, rest);
    return m;
  }

  @Test
  void emotionsBecomeLivePortraitsExpressionSliders() throws Exception {
    float[] neutral = edited(null, Map.of(), List.of());
    float[] happy = edited("happy@0", Map.of(), List.of());
    float[] sad = edited("sad@0", Map.of(), List.of());
    float[] surprised = edited("surprised@0", Map.of(), List.of());
    // Without direction nothing changes
    float[] rest = new float[70];
    rest[63] = 1.2f;
    rest[67] = 2;
    assertThat(neutral).containsExactly(motion(rest), within(1e-7f));
    // Happy smiles (the smile slider moves keypoint 20 up, -0.01 y per unit), sad does not
    int kp20y = 3 * 20 + 1;
    assertThat(happy[kp20y] - neutral[kp20y]).isLessThan(-0.01f);
    assertThat(sad[kp20y] - neutral[kp20y]).isGreaterThan(0f);
    // Surprised raises the brows (eyebrow slider: keypoint 1 y +0.001 per unit) and opens the lips
    assertThat(surprised[3 + 1] - neutral[3 + 1]).isGreaterThan(0.015f);
    assertThat(surprised[3 * 19 + 1] - neutral[3 * 19 + 1]).isGreaterThan(0.04f);
  }

  @Test
  void headAndLipKnobsScaleMotionAboutTheRestPose() throws Exception {
    float[] still = edited(null, Map.of("head_motion_scale", 0f, "lip_sync", 0.5f), List.of());
    // The head is at rest: pitch 2 (the rest's), yaw 0
    assertThat(still[67]).isEqualTo(2f);
    assertThat(still[68]).isEqualTo(0f);
    assertThat(still[70 + 67]).isEqualTo(2f);
    // the face's size is not motion: untouched
    assertThat(still[63]).isEqualTo(1.2f);
    // the lips move half as far
    assertThat(still[3 * 19 + 1]).isCloseTo(0.01f, within(1e-7f));
  }

  @Test
  void aGeneratorThatTakesAControlItselfIsNotEditedForIt() throws Exception {
    float[] own = edited("happy@0", Map.of(), List.of(PackManifest.Control.named("emotion_happy")));
    float[] none = edited(null, Map.of(), List.of());
    assertThat(own).containsExactly(none, within(1e-7f));
  }
}
