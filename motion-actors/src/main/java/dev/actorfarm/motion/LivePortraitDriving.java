package dev.actorfarm.motion;

import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.util.Arrays;

/**
 * A driving video through a LivePortrait-family pack's own motion extractor: each frame's values
 * (the JoyVASA layout, after the frame's {@link DrivingMeasures}) become the motion frame, read by
 * the renderer relative to the anchor, the first frame with a face (LivePortrait's relative mode).
 * Frames without a face hold the last values for {@link #HOLD_SECONDS}, then ease to the anchor
 * (the portrait's own expression and pose) over {@link #EASE_SECONDS}; frames before the first face
 * take the anchor.
 *
 * <p>State (the anchor, the held values and the frames without a face so far) is a pure function of
 * the frames seen, kept in the job's checkpoint, so a resumed job continues exactly.
 */
final class LivePortraitDriving {

  static final double HOLD_SECONDS = 1.0;
  static final double EASE_SECONDS = 1.0;

  private final int values;
  private final int fps;
  private float[] anchor;
  private float[] held;
  private int absent;

  /**
   * @param values values per frame after the measures
   * @param state a checkpoint's {@link #state()}, or null for a new job
   */
  LivePortraitDriving(int values, int fps, float[] state) {
    this.values = values;
    this.fps = fps;
    if (state != null && state.length == 2 * values + 2 && state[0] > 0.5f) {
      this.anchor = Arrays.copyOfRange(state, 2, 2 + values);
      this.held = Arrays.copyOfRange(state, 2 + values, 2 + 2 * values);
      this.absent = (int) state[1];
    }
  }

  /** The anchor, or null before the first face. */
  float[] anchor() {
    return anchor;
  }

  /** {@code frames} rows of measures and values → {@code frames × values} motion. */
  float[] drive(float[] rows, int frames) {
    int width = DrivingMeasures.K + values;
    if (anchor == null) {
      for (int i = 0; i < frames && anchor == null; i++) {
        if (rows[i * width + DrivingMeasures.PRESENT] > 0.5f) {
          anchor = Arrays.copyOfRange(rows, i * width + DrivingMeasures.K, (i + 1) * width);
          held = anchor.clone();
        }
      }
    }
    float[] out = new float[frames * values];
    for (int i = 0; i < frames; i++) {
      float[] frame;
      if (rows[i * width + DrivingMeasures.PRESENT] > 0.5f) {
        held = Arrays.copyOfRange(rows, i * width + DrivingMeasures.K, (i + 1) * width);
        absent = 0;
        frame = held;
      } else if (anchor == null) {
        frame = new float[values]; // no face yet anywhere: the window is refused upstream
      } else {
        absent++;
        double hold = HOLD_SECONDS * fps;
        double w = Math.max(0, Math.min(1, (absent - hold) / (EASE_SECONDS * fps)));
        frame = new float[values];
        for (int k = 0; k < values; k++) {
          frame[k] = (float) (held[k] + w * (anchor[k] - held[k]));
        }
      }
      System.arraycopy(frame, 0, out, i * values, values);
    }
    return out;
  }

  /** [anchored, absent, anchor, held]: what a resumed job needs. */
  float[] state() {
    float[] s = new float[2 * values + 2];
    if (anchor != null) {
      s[0] = 1;
      s[1] = absent;
      System.arraycopy(anchor, 0, s, 2, values);
      System.arraycopy(held, 0, s, 2 + values, values);
    }
    return s;
  }
}
