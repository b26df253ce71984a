package dev.actorfarm.motion;

import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.util.List;

/**
 * Turns a driving video's face measurements into the pack's motion, frame by frame, as LivePortrait
 * drives relatively: motion = the portrait's rest pose + (driving frame − driving anchor frame), so
 * the portrait keeps its own pose and face and performs only the driver's changes.
 *
 * <ul>
 *   <li>Head channels ({@code head_yaw}, {@code head_pitch}, {@code head_roll}, {@code head_tx},
 *       {@code head_ty}) are relative to the anchor frame: the first frame with a face, and again
 *       at every shot cut or face found again.
 *   <li>Expression channels are relative to the driver's own neutral, learned as the job runs: the
 *       least open mouth ({@code jaw_open}), the widest open eyes ({@code eyelid_close}), the
 *       anchor's mouth width ({@code lip_spread}) and brows ({@code brow_raise}).
 *   <li>Measurements are smoothed causally by One-Euro filters (Casiez et al. 2012), so the stage
 *       streams: a slow head is steadied, a fast blink or lip passes.
 *   <li>No jump: at a re-anchor, the difference between the last output and the new one is kept as
 *       an offset that fades in {@link #FADE_SECONDS}. A lost face holds its last pose for {@link
 *       #HOLD_SECONDS}, then eases back to rest the same way.
 * </ul>
 *
 * <p>Its whole state is a float array ({@link #state()}), which the motion entity checkpoints with
 * the window, so a resumed job continues exactly where it stopped.
 */
final class DrivingRetargeter {

  /** A lost face's pose is held this long (a blink of the tracker, a hand passing) ... */
  static final double HOLD_SECONDS = 0.5;

  /** ... and offsets fade with this time constant: a re-anchor settles in about a second. */
  static final double FADE_SECONDS = 0.35;

  /**
   * The pack's head shift is in crop half-sides; the crop is about 4.2 eye distances across
   * (ReferenceParameters.IOD_REF = 0.47 of a half-side), so one eye distance is 0.47 half-sides.
   */
  static final float SHIFT_PER_EYE_DISTANCE = 0.47f;

  /** Inner-lip gap, in eye distances, of a fully open jaw (jaw_open = 1). */
  static final float JAW_FULL_GAP = 0.20f;

  /** Relative narrowing of the lid gap at which the eye counts as fully shut. */
  static final float EYE_SHUT_DROP = 0.55f;

  /** Relative widening of the mouth at full spread (a broad smile is about 25% wider). */
  static final float SPREAD_FULL = 0.25f;

  /** Brow lift, in eye distances, of a full raise. */
  static final float BROW_FULL = 0.12f;

  /** One-Euro parameters (min cutoff Hz, speed coefficient) for the head and the face. */
  static final double HEAD_MIN_CUTOFF = 1.5;

  static final double HEAD_BETA = 0.3;
  static final double FACE_MIN_CUTOFF = 4.0;
  static final double FACE_BETA = 1.5;
  static final double D_CUTOFF = 1.0;

  /** The measurements that are filtered: everything but PRESENT and CUT. */
  private static final int FIRST_FILTERED = DrivingMeasures.YAW;

  private static final int FILTERED = DrivingMeasures.K - FIRST_FILTERED;

  // State layout (one float array).
  private static final int S_STARTED = 0; // 1 once a face was seen
  private static final int S_LOST = 1; // frames since the face was lost (0 = present)
  private static final int S_FILTER_X = 2; // FILTERED values (set from the first face on)
  private static final int S_FILTER_DX = S_FILTER_X + FILTERED; // FILTERED derivatives
  private static final int S_ANCHOR = S_FILTER_DX + FILTERED; // K anchor measurements
  private static final int S_CLOSED_GAP = S_ANCHOR + DrivingMeasures.K;
  private static final int S_OPEN_EYE = S_CLOSED_GAP + 1;
  private static final int S_FIXED = S_OPEN_EYE + 1; // then M offsets, then M last outputs

  private final List<String> channels;
  private final float[] rest;
  private final int m;
  private final double fps;
  private final float[] state;

  DrivingRetargeter(List<String> channels, List<Float> restPose, double fps, float[] restored) {
    this.channels = List.copyOf(channels);
    this.m = channels.size();
    this.rest = new float[m];
    for (int c = 0; c < m; c++) {
      rest[c] = restPose == null || restPose.size() <= c ? 0f : restPose.get(c);
    }
    this.fps = fps;
    int size = stateSize(m);
    if (restored != null && restored.length == size) {
      this.state = restored.clone();
    } else {
      this.state = new float[size];
      System.arraycopy(rest, 0, state, S_FIXED + m, m);
    }
  }

  static int stateSize(int m) {
    return S_FIXED + 2 * m;
  }

  /** The state to checkpoint. */
  float[] state() {
    return state.clone();
  }

  /** The motion of {@code frames} rows of measurements, {@code frames × M}. */
  float[] retarget(float[] measures, int frames) {
    float[] out = new float[frames * m];
    float[] row = new float[DrivingMeasures.K];
    for (int f = 0; f < frames; f++) {
      System.arraycopy(measures, f * DrivingMeasures.K, row, 0, DrivingMeasures.K);
      float[] motion = step(row);
      System.arraycopy(motion, 0, out, f * m, m);
    }
    return out;
  }

  private float[] step(float[] raw) {
    int offsets = S_FIXED;
    int last = S_FIXED + m;
    double fade = Math.exp(-1 / (FADE_SECONDS * fps));
    boolean present = raw[DrivingMeasures.PRESENT] > 0.5f;
    float[] out = new float[m];
    if (!present) {
      if (state[S_STARTED] > 0) {
        state[S_LOST] += 1;
      }
      if (state[S_LOST] <= HOLD_SECONDS * fps) {
        System.arraycopy(state, last, out, 0, m); // hold (rest before any face)
        return out;
      }
      if (state[S_LOST] - 1 <= HOLD_SECONDS * fps) {
        for (int c = 0; c < m; c++) {
          state[offsets + c] = state[last + c] - rest[c];
        }
      }
      for (int c = 0; c < m; c++) {
        state[offsets + c] *= (float) fade;
        out[c] = rest[c] + state[offsets + c];
      }
      System.arraycopy(out, 0, state, last, m);
      return out;
    }
    boolean reanchor =
        state[S_STARTED] == 0 || state[S_LOST] > 0 || raw[DrivingMeasures.CUT] > 0.5f;
    float[] x = filter(raw, reanchor);
    if (reanchor) {
      System.arraycopy(x, 0, state, S_ANCHOR, DrivingMeasures.K);
      state[S_CLOSED_GAP] = x[DrivingMeasures.MOUTH_GAP];
      state[S_OPEN_EYE] = x[DrivingMeasures.EYE_OPEN];
    } else {
      state[S_CLOSED_GAP] = Math.min(state[S_CLOSED_GAP], x[DrivingMeasures.MOUTH_GAP]);
      state[S_OPEN_EYE] = Math.max(state[S_OPEN_EYE], x[DrivingMeasures.EYE_OPEN]);
    }
    float[] target = map(x);
    boolean first = state[S_STARTED] == 0;
    for (int c = 0; c < m; c++) {
      if (reanchor) {
        // The first face starts from rest; a later anchor continues from where the motion was.
        state[offsets + c] = first ? 0f : state[last + c] - target[c];
      } else {
        state[offsets + c] *= (float) fade;
      }
      out[c] = target[c] + state[offsets + c];
    }
    state[S_STARTED] = 1;
    state[S_LOST] = 0;
    System.arraycopy(out, 0, state, last, m);
    return out;
  }

  /** The pack's channels for filtered measurements {@code x}, against the current anchor. */
  private float[] map(float[] x) {
    float[] a = new float[DrivingMeasures.K];
    System.arraycopy(state, S_ANCHOR, a, 0, DrivingMeasures.K);
    float iod = Math.max(a[DrivingMeasures.IOD_PX], 1e-3f);
    float[] out = new float[m];
    for (int c = 0; c < m; c++) {
      float v =
          switch (channels.get(c)) {
            case "head_yaw" -> x[DrivingMeasures.YAW] - a[DrivingMeasures.YAW];
            case "head_pitch" -> x[DrivingMeasures.PITCH] - a[DrivingMeasures.PITCH];
            case "head_roll" -> x[DrivingMeasures.ROLL] - a[DrivingMeasures.ROLL];
            case "head_tx" ->
                (x[DrivingMeasures.X_PX] - a[DrivingMeasures.X_PX]) / iod * SHIFT_PER_EYE_DISTANCE;
            case "head_ty" ->
                (x[DrivingMeasures.Y_PX] - a[DrivingMeasures.Y_PX]) / iod * SHIFT_PER_EYE_DISTANCE;
            case "jaw_open" ->
                clamp((x[DrivingMeasures.MOUTH_GAP] - state[S_CLOSED_GAP]) / JAW_FULL_GAP, 0, 1);
            case "lip_spread" ->
                clamp(
                    (x[DrivingMeasures.MOUTH_WIDTH]
                                / Math.max(a[DrivingMeasures.MOUTH_WIDTH], 1e-3f)
                            - 1)
                        / SPREAD_FULL,
                    -1,
                    1);
            case "eyelid_close" ->
                clamp(
                    (1 - x[DrivingMeasures.EYE_OPEN] / Math.max(state[S_OPEN_EYE], 1e-3f))
                        / EYE_SHUT_DROP,
                    0,
                    1);
            case "brow_raise" ->
                clamp((x[DrivingMeasures.BROW] - a[DrivingMeasures.BROW]) / BROW_FULL, -1, 1);
            default -> 0f;
          };
      out[c] = rest[c] + v;
    }
    return out;
  }

  /**
   * One-Euro filtering of the measurements; a reset (every anchor, the first face's included)
   * starts the filters at {@code raw}.
   */
  private float[] filter(float[] raw, boolean reset) {
    float[] x = raw.clone();
    double te = 1 / fps;
    for (int i = 0; i < FILTERED; i++) {
      int k = FIRST_FILTERED + i;
      if (reset) {
        state[S_FILTER_X + i] = raw[k];
        state[S_FILTER_DX + i] = 0;
        continue;
      }
      boolean head = k <= DrivingMeasures.IOD_PX;
      double minCutoff = head ? HEAD_MIN_CUTOFF : FACE_MIN_CUTOFF;
      double beta = head ? HEAD_BETA : FACE_BETA;
      double prev = state[S_FILTER_X + i];
      // Positions in pixels are filtered in eye distances, so that beta means the same for all.
      double scale =
          k == DrivingMeasures.X_PX || k == DrivingMeasures.Y_PX
              ? Math.max(state[S_FILTER_X + (DrivingMeasures.IOD_PX - FIRST_FILTERED)], 1e-3)
              : 1;
      double dx = (raw[k] - prev) / te / scale;
      double edx = state[S_FILTER_DX + i] + alpha(te, D_CUTOFF) * (dx - state[S_FILTER_DX + i]);
      double cutoff = minCutoff + beta * Math.abs(edx);
      double v = prev + alpha(te, cutoff) * (raw[k] - prev);
      state[S_FILTER_X + i] = (float) v;
      state[S_FILTER_DX + i] = (float) edx;
      x[k] = (float) v;
    }
    return x;
  }

  private static double alpha(double te, double cutoff) {
    double tau = 1 / (2 * Math.PI * cutoff);
    return 1 / (1 + tau / te);
  }

  private static float clamp(float v, float lo, float hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
