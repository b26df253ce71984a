package dev.actorfarm.runtime.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Motion made at the pack's rate, resampled to the output rate window by window. */
class FrameRatesTest {

  static final int W = 50;

  @Test
  void atThePacksOwnRateNothingChanges() {
    assertThat(FrameRates.firstOutputFrame(0, 25, 25)).isZero();
    assertThat(FrameRates.firstOutputFrame(50, 25, 25)).isEqualTo(50);
    float[] motion = ramp(100, W, 2);
    float[] out = FrameRates.resample(new float[] {99, 99}, motion, W, 2, 100, 100, W, 25, 25);
    assertThat(out).containsExactly(motion);
  }

  @Test
  void windowsCoverTheOutputFramesOnceAndInterpolateExactly() {
    for (int outFps : new int[] {24, 30, 50, 60, 12}) {
      // Given 7 windows of a ramp (value = motion frame index), the last one short
      int total = 6 * W + 13;
      double seconds = total / 25.0;
      int outTotal = FrameRates.totalOutputFrames(seconds, outFps, 25, 6 * W);
      assertThat(outTotal).isEqualTo((int) Math.round(seconds * outFps));
      int next = 0;
      float[] previous = null;
      for (int w = 0; w < 7; w++) {
        int first = FrameRates.firstOutputFrame(w * W, 25, outFps);
        int end = w == 6 ? outTotal : FrameRates.firstOutputFrame((w + 1) * W, 25, outFps);
        // Then the windows follow each other without a gap or an overlap
        assertThat(first).as("window %d at %d fps", w, outFps).isEqualTo(next);
        float[] motion = ramp(w * W, W, 1);
        float[] out =
            FrameRates.resample(previous, motion, W, 1, w * W, first, end - first, 25, outFps);
        // and each output frame is the ramp at its own time
        for (int i = 0; i < out.length; i++) {
          double t = (first + i) / (double) outFps;
          assertThat((double) out[i]).isCloseTo(Math.min(t * 25, w * W + W - 1), within(1e-3));
        }
        previous = new float[] {motion[W - 1]};
        next = end;
      }
      assertThat(next).isEqualTo(outTotal);
    }
  }

  @Test
  void aVeryShortLastWindowStillGetsAFrame() {
    // One motion frame in the last window at 12 fps: rounding alone would give it none
    int outTotal = FrameRates.totalOutputFrames(51 / 25.0, 12, 25, 50);
    assertThat(outTotal).isGreaterThan(FrameRates.firstOutputFrame(50, 25, 12));
  }

  private static float[] ramp(int first, int frames, int m) {
    float[] v = new float[frames * m];
    for (int i = 0; i < frames; i++) {
      for (int c = 0; c < m; c++) {
        v[i * m + c] = first + i;
      }
    }
    return v;
  }
}
