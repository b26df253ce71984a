package dev.actorfarm.motion;

import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.runtime.direction.ControlTrack;
import dev.actorfarm.runtime.direction.Expressions;
import dev.actorfarm.runtime.direction.FarmControls;
import dev.actorfarm.runtime.liveportrait.LivePortraitExpressions;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's direction on generated motion in JoyVASA's layout (the LivePortrait family), for the
 * farm's controls that the pack's generator does not take itself: the host edits each frame after
 * generation, so the generator's context stays its own motion.
 *
 * <ul>
 *   <li>emotions and {@code expression_scale} → {@link Expressions} → LivePortrait's expression
 *       sliders ({@link LivePortraitExpressions}), the jaw addition on its lip open slider and the
 *       spread on grin or pursing;
 *   <li>{@code gaze_x}, {@code gaze_y} → the gaze sliders;
 *   <li>{@code head_motion_scale} → pitch, yaw, roll and t scaled about the rest pose;
 *   <li>{@code lip_sync} → the lip keypoints' expression (rows 6, 12, 14, 17, 19, 20,
 *       LivePortrait's "lip" region) scaled about the rest pose.
 * </ul>
 *
 * Blink rate, gaze wander and prosody belong to a generator; a pack whose generator does not take
 * them ignores them.
 */
final class JoyvasaDirection {

  /** LivePortrait's lip keypoints (animation_region "lip"). */
  static final int[] LIP_KEYPOINTS = {6, 12, 14, 17, 19, 20};

  private final ControlTrack track;
  private final boolean[] applies;

  /** Each farm control's position in the track's values. */
  private final java.util.Map<String, Integer> index = new java.util.HashMap<>();

  /** The direction of {@code options} for the controls {@code generator} does not take. */
  JoyvasaDirection(RenderOptions options, PackManifest.MotionGenerator generator) {
    List<PackManifest.Control> all = new ArrayList<>(FarmControls.STANDARD.values());
    this.track = new ControlTrack(options, all);
    this.applies = new boolean[all.size()];
    for (int i = 0; i < all.size(); i++) {
      String name = all.get(i).name();
      index.put(name, i);
      applies[i] =
          generator.controls() == null
              || generator.controls().stream().noneMatch(c -> c.name().equals(name));
    }
  }

  /**
   * Edits {@code motion} ({@code frames × 70}, from pack frame {@code first} at {@code fps}) in
   * place, relative to {@code rest}.
   */
  void apply(float[] motion, int first, int frames, int fps, float[] rest) {
    for (int f = 0; f < frames; f++) {
      float[] c = track.at((double) (first + f) / fps);
      edit(motion, f * 70, c, rest);
    }
  }

  private float value(float[] c, String name) {
    int i = index.get(name);
    return applies[i] ? c[i] : FarmControls.STANDARD.get(name).defaultValue();
  }

  private void edit(float[] m, int o, float[] c, float[] rest) {
    float head = value(c, FarmControls.HEAD_MOTION_SCALE);
    for (int i = 63; i < 70; i++) {
      if (i != 63) { // scale (63) is the face's size, not its motion
        m[o + i] = rest[i] + (m[o + i] - rest[i]) * head;
      }
    }
    float lips = value(c, FarmControls.LIP_SYNC);
    for (int kp : LIP_KEYPOINTS) {
      for (int a = 0; a < 3; a++) {
        int i = 3 * kp + a;
        m[o + i] = rest[i] + (m[o + i] - rest[i]) * lips;
      }
    }
    float[] weights = new float[Expressions.EMOTIONS.size()];
    for (int e = 0; e < weights.length; e++) {
      weights[e] = value(c, FarmControls.emotionControl(Expressions.EMOTIONS.get(e)));
    }
    float[] e = Expressions.of(weights, value(c, FarmControls.EXPRESSION_SCALE));
    float[] exp = java.util.Arrays.copyOfRange(m, o, o + 63);
    LivePortraitExpressions.apply(
        exp, e, value(c, FarmControls.GAZE_X), value(c, FarmControls.GAZE_Y));
    LivePortraitExpressions.mouth(
        exp, e[Expressions.CHANNELS.size()], e[Expressions.CHANNELS.size() + 1]);
    System.arraycopy(exp, 0, m, o, 63);
  }
}
