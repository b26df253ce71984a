package dev.actorfarm.runtime.direction;

import java.util.List;

/**
 * The face's expression channels and each emotion's prototype on them: the one table both the
 * reference pack's generator (as a MatMul in its graph) and the LivePortrait family's host edits
 * read.
 *
 * <p>Channels: brow_raise, brow_inner, brow_knit, mouth_corner, mouth_corner_asym, cheek_raise,
 * eye_wide, upper_lip_raise, then additions to the speech's jaw_open and lip_spread. The prototypes
 * are the action units of each category (Ekman and Friesen's FACS, the categories of MEAD and
 * AffectNet):
 *
 * <ul>
 *   <li>happy AU6+12: cheeks up, corners up, a slight squint, the lips spread;
 *   <li>sad AU1+4+15: inner brows up, corners down;
 *   <li>angry AU4+5+7+23: brows down and together, the upper lids raised, lips pressed;
 *   <li>surprised AU1+2+5+26: brows up, eyes wide, the jaw dropped;
 *   <li>fearful AU1+2+4+5+20: brows up and together, eyes wide, lips stretched;
 *   <li>disgusted AU9+10: the upper lip raised, brows lowered, a squint;
 *   <li>contemptuous AU14 on one side: one corner up.
 * </ul>
 */
public final class Expressions {

  private Expressions() {}

  public static final List<String> CHANNELS =
      List.of(
          "brow_raise",
          "brow_inner",
          "brow_knit",
          "mouth_corner",
          "mouth_corner_asym",
          "cheek_raise",
          "eye_wide",
          "upper_lip_raise");

  /** Expression channels, then the jaw and lip-spread additions. */
  public static final int WIDTH = CHANNELS.size() + 2;

  /**
   * The emotions with a prototype: every one but neutral, in {@link FarmControls#EMOTIONS} order.
   */
  public static final List<String> EMOTIONS = FarmControls.EMOTIONS.subList(1, 8);

  /** Rows: {@link #EMOTIONS}; columns: {@link #CHANNELS}, jaw, spread. */
  public static final float[][] PROTOTYPES = {
    {0.10f, 0f, 0f, 1.0f, 0f, 1.0f, -0.40f, 0f, 0f, 0.45f}, // happy
    {0f, 1.0f, 0.35f, -1.0f, 0f, 0f, -0.20f, 0f, 0f, -0.10f}, // sad
    {-0.90f, -0.30f, 1.0f, -0.30f, 0f, 0f, 0.25f, 0.20f, 0f, -0.35f}, // angry
    {1.0f, 0.30f, 0f, 0f, 0f, 0f, 1.0f, 0f, 0.45f, -0.20f}, // surprised
    {0.70f, 0.80f, 0.60f, -0.30f, 0f, 0f, 0.80f, 0f, 0.20f, 0.60f}, // fearful
    {-0.50f, 0f, 0.50f, -0.50f, 0f, 0.40f, -0.40f, 1.0f, 0f, 0.10f}, // disgusted
    {0f, 0f, 0f, 0.05f, 0.80f, 0f, -0.10f, 0f, 0f, 0f}, // contemptuous
  };

  /**
   * The expression of emotion weights {@code weights} (in {@link #EMOTIONS} order) scaled by {@code
   * scale}: {@link #WIDTH} values.
   */
  public static float[] of(float[] weights, float scale) {
    float[] out = new float[WIDTH];
    for (int e = 0; e < PROTOTYPES.length; e++) {
      for (int x = 0; x < WIDTH; x++) {
        out[x] += weights[e] * PROTOTYPES[e][x] * scale;
      }
    }
    return out;
  }
}
