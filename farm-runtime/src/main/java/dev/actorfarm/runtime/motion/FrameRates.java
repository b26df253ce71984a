package dev.actorfarm.runtime.motion;

/**
 * Where the frames of an output frame rate fall among the frames of the pack's motion rate. Output
 * frame {@code k} is at time {@code k / out}, i.e. at motion position {@code k · pack / out}, and
 * is interpolated between the motion frames either side of it; it belongs to the motion window that
 * holds the later of the two, so that a window can be resampled with only the frame before it (kept
 * by the motion entity) and its own frames.
 */
public final class FrameRates {

  private FrameRates() {}

  /** The first output frame whose later motion frame is {@code motionFrame} or after it. */
  public static int firstOutputFrame(int motionFrame, int packFps, int outFps) {
    if (motionFrame <= 0) {
      return 0;
    }
    return (int) (Math.floorDiv((long) (motionFrame - 1) * outFps, packFps) + 1);
  }

  /**
   * Output frames of a job of {@code seconds} at {@code outFps}: round(seconds × fps), and at least
   * one frame in its last motion window (which starts at motion frame {@code lastWindowFirst}).
   */
  public static int totalOutputFrames(
      double seconds, int outFps, int packFps, int lastWindowFirst) {
    int total = (int) Math.round(seconds * outFps);
    return Math.max(total, firstOutputFrame(lastWindowFirst, packFps, outFps) + 1);
  }

  /**
   * Output frames {@code [outFirst, outFirst + outCount)} of a motion window, linearly
   * interpolated.
   *
   * @param previous the motion frame before the window ({@code M} values), or null for the first
   * @param motion the window's motion, {@code frames × M}, starting at motion frame {@code first}
   */
  public static float[] resample(
      float[] previous,
      float[] motion,
      int frames,
      int m,
      int first,
      int outFirst,
      int outCount,
      int packFps,
      int outFps) {
    float[] out = new float[outCount * m];
    for (int i = 0; i < outCount; i++) {
      long num = (long) (outFirst + i) * packFps;
      int hi = (int) -Math.floorDiv(-num, (long) outFps);
      double frac = 1 - (hi - num / (double) outFps); // weight of the later frame
      int hiLocal = Math.min(hi - first, frames - 1);
      int loLocal = hi - 1 - first;
      for (int c = 0; c < m; c++) {
        float later = motion[hiLocal * m + c];
        float earlier;
        if (loLocal >= 0) {
          earlier = motion[Math.min(loLocal, frames - 1) * m + c];
        } else {
          earlier = previous == null ? later : previous[c];
        }
        out[i * m + c] = (float) (earlier + frac * (later - earlier));
      }
    }
    return out;
  }
}
