package dev.actorfarm.runtime.liveportrait;

/**
 * The farm's expression channels ({@code dev.actorfarm.runtime.direction.Expressions}) as
 * LivePortrait expression deltas, through the sliders of its expression-editing panel ({@code
 * gradio_pipeline.py}), each channel's full value at a slider's working range:
 *
 * <ul>
 *   <li>brow_raise → eyebrow +{@value #BROW}·v; brow_inner → eyebrow +{@value #BROW_INNER}·v;
 *       brow_knit → eyebrow −{@value #KNIT}·v (the slider's negative side draws the brows in);
 *   <li>mouth_corner → smile v (down to the slider's −0.3 for corners down); mouth_corner_asym →
 *       grin {@value #ASYM_GRIN}·v (the panel has no one-sided smile); cheek_raise → smile {@value
 *       #CHEEK_SMILE}·v;
 *   <li>eye_wide → the lids' blink term −{@value #WIDE}·v open, +{@value #SQUINT}·v squinting;
 *   <li>upper_lip_raise → grin {@value #UPPER_LIP_GRIN}·v;
 *   <li>gaze x, y (−1…1) → the gaze sliders at ±{@value #GAZE_X} and ±{@value #GAZE_Y}.
 * </ul>
 *
 * Which way the panel's y points on a given pack is not documented; the signs here make positive
 * brow and corner values look up on the LivePortrait twin.
 */
public final class LivePortraitExpressions {

  private LivePortraitExpressions() {}

  static final double BROW = 20;
  static final double BROW_INNER = 8;
  static final double KNIT = 15;
  static final double ASYM_GRIN = 6;
  static final double CHEEK_SMILE = 0.3;
  static final double WIDE = 15;
  static final double SQUINT = 12;
  static final double UPPER_LIP_GRIN = 10;
  static final double GAZE_X = 20;
  static final double GAZE_Y = 30;

  /** The lip slider's top (its range is −90…120). */
  public static final double OPEN_RANGE = 120;

  /** The grin slider's top (0…15). */
  public static final double GRIN_RANGE = 15;

  /** The pursing slider's top (−20…15). */
  public static final double PURSE_RANGE = 15;

  /**
   * Adds a mouth: jaw opening {@code open} (0…1; below 0 is closed) on the lip open/close slider at
   * {@link #OPEN_RANGE} × open, lip spread {@code spread} (−1…1) as a grin at {@link #GRIN_RANGE} ×
   * spread or, below 0, pursing at {@link #PURSE_RANGE} × −spread.
   */
  public static void mouth(float[] exp, double open, double spread) {
    LivePortraitMath.lipOpen(exp, OPEN_RANGE * Math.max(0, open));
    if (spread > 0) {
      LivePortraitMath.grin(exp, GRIN_RANGE * spread);
    } else if (spread < 0) {
      LivePortraitMath.pursing(exp, PURSE_RANGE * -spread);
    }
  }

  /**
   * Adds expression {@code e} (brow_raise, brow_inner, brow_knit, mouth_corner, mouth_corner_asym,
   * cheek_raise, eye_wide, upper_lip_raise) and gaze ({@code gazeX}, {@code gazeY}) to {@code exp}
   * (63 values, 21 keypoints × xyz).
   */
  public static void apply(float[] exp, float[] e, double gazeX, double gazeY) {
    double brows = BROW * e[0] + BROW_INNER * e[1];
    if (brows != 0) {
      LivePortraitMath.eyebrow(exp, brows);
    }
    if (e[2] != 0) {
      LivePortraitMath.eyebrow(exp, -KNIT * e[2]);
    }
    double smile = e[3] >= 0 ? e[3] : 0.3 * e[3];
    smile += CHEEK_SMILE * e[5];
    if (smile != 0) {
      LivePortraitMath.smile(exp, smile);
    }
    double grin = ASYM_GRIN * e[4] + UPPER_LIP_GRIN * e[7];
    if (grin != 0) {
      LivePortraitMath.grin(exp, grin);
    }
    if (e[6] != 0) {
      LivePortraitMath.eyelids(exp, e[6] > 0 ? -WIDE * e[6] : -SQUINT * e[6]);
    }
    if (gazeX != 0 || gazeY != 0) {
      LivePortraitMath.gaze(exp, GAZE_X * gazeX, -GAZE_Y * gazeY);
    }
  }
}
