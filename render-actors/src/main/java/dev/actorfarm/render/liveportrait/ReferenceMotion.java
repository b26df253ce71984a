package dev.actorfarm.render.liveportrait;

import dev.actorfarm.runtime.direction.Expressions;
import dev.actorfarm.runtime.liveportrait.LivePortraitExpressions;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath.Driven;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath.KpInfo;
import java.util.List;

/**
 * The reference generator's channels as LivePortrait motion, with LivePortrait's own
 * expression-editing coefficients ({@code gradio_pipeline.py}, {@code update_delta_new_*}):
 *
 * <ul>
 *   <li>head yaw, pitch and roll (radians) → degrees added to the source's pose (R = R_Δ·R_s);
 *   <li>head tx, ty (crop half-sides) → t;
 *   <li>jaw_open 0…1 and lip_spread → the lip open/close slider, grin or pursing ({@link
 *       LivePortraitExpressions#mouth});
 *   <li>eyelid_close 0…1 → eye retargeting, or, in a pack without it, the lids' keypoints 13 and 16
 *       (the gaze panel's blink term at {@link #BLINK_RANGE} × eyelid);
 *   <li>the expression channels (brows, mouth corners, cheeks, eye opening, upper lip) and the gaze
 *       → the panel's eyebrow, smile, grin, blink and gaze sliders ({@link
 *       LivePortraitExpressions}); a channel the motion lacks is 0.
 * </ul>
 */
record ReferenceMotion(
    double yaw,
    double pitch,
    double roll,
    double tx,
    double ty,
    double open,
    double spread,
    float eyelid,
    float[] expression,
    double gazeX,
    double gazeY) {

  /** The blink term at a closed eye (the gaze panel's b reaches 31.5). */
  static final double BLINK_RANGE = 31.5;

  static ReferenceMotion of(List<String> channels, float[] f) {
    return new ReferenceMotion(
        f[channels.indexOf("head_yaw")],
        f[channels.indexOf("head_pitch")],
        f[channels.indexOf("head_roll")],
        f[channels.indexOf("head_tx")],
        f[channels.indexOf("head_ty")],
        f[channels.indexOf("jaw_open")],
        f[channels.indexOf("lip_spread")],
        f[channels.indexOf("eyelid_close")],
        expression(channels, f),
        optional(channels, f, "gaze_x"),
        optional(channels, f, "gaze_y"));
  }

  private static float[] expression(List<String> channels, float[] f) {
    float[] e = new float[Expressions.CHANNELS.size()];
    for (int i = 0; i < e.length; i++) {
      e[i] = optional(channels, f, Expressions.CHANNELS.get(i));
    }
    return e;
  }

  private static float optional(List<String> channels, float[] f, String name) {
    int i = channels.indexOf(name);
    return i < 0 ? 0f : f[i];
  }

  /**
   * Drives source {@code s}: its pose turned by the head channels, its expression edited; the
   * eyelids too unless the pack closes them by eye retargeting.
   */
  Driven drive(KpInfo s, boolean eyeRetargeting) {
    double[] delta =
        LivePortraitMath.rotation(Math.toDegrees(pitch), Math.toDegrees(yaw), Math.toDegrees(roll));
    double[] r =
        LivePortraitMath.matmul(delta, LivePortraitMath.rotation(s.pitch(), s.yaw(), s.roll()));
    float[] exp = s.exp().clone();
    LivePortraitExpressions.mouth(exp, open, spread);
    if (!eyeRetargeting) {
      LivePortraitMath.eyelids(exp, BLINK_RANGE * eyelid);
    }
    LivePortraitExpressions.apply(exp, expression, gazeX, gazeY);
    float[] t = {(float) (s.t()[0] + tx), (float) (s.t()[1] + ty), 0};
    return new Driven(r, exp, s.scale(), t);
  }
}
