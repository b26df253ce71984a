package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LivePortraitDrivingTest {

  static final int V = 3;
  static final int FPS = 10;
  static final int WIDTH = DrivingMeasures.K + V;

  /** Rows of measures then values; {@code null} values: no face in that frame. */
  static float[] rows(float[]... frames) {
    float[] out = new float[frames.length * WIDTH];
    for (int i = 0; i < frames.length; i++) {
      if (frames[i] != null) {
        out[i * WIDTH + DrivingMeasures.PRESENT] = 1;
        System.arraycopy(frames[i], 0, out, i * WIDTH + DrivingMeasures.K, V);
      }
    }
    return out;
  }

  @Test
  void framesBeforeTheFirstFaceTakeItAndALostFaceHoldsThenEasesToTheAnchor() {
    LivePortraitDriving d = new LivePortraitDriving(V, FPS, null);
    float[] a = {1, 2, 3};
    float[] b = {5, 6, 7};
    float[] m = d.drive(rows(null, a, b), 3);
    assertThat(d.anchor()).containsExactly(a);
    assertThat(Arrays.copyOfRange(m, 0, 3)).containsExactly(a);
    assertThat(Arrays.copyOfRange(m, 6, 9)).containsExactly(b);
    // 3 s without a face: 1 s held at b, then 1 s easing to the anchor, then the anchor
    float[][] none = new float[30][];
    m = d.drive(rows(none), 30);
    assertThat(m[9 * V]).isEqualTo(5f); // frame 10 of the absence: still held
    assertThat(m[14 * V]).isCloseTo(5 - 4 * 0.5f, within(1e-5f)); // half way
    assertThat(m[29 * V]).isEqualTo(1f);
  }

  @Test
  void aDriverRestoredFromItsStateContinuesExactly() {
    float[][] first = {{1, 2, 3}, {2, 3, 4}, null, null};
    float[][] second = new float[25][];
    second[24] = new float[] {9, 9, 9};
    LivePortraitDriving straight = new LivePortraitDriving(V, FPS, null);
    straight.drive(rows(first), first.length);
    float[] expected = straight.drive(rows(second), second.length);
    LivePortraitDriving before = new LivePortraitDriving(V, FPS, null);
    before.drive(rows(first), first.length);
    LivePortraitDriving resumed = new LivePortraitDriving(V, FPS, before.state());
    assertThat(resumed.anchor()).containsExactly(1, 2, 3);
    assertThat(resumed.drive(rows(second), second.length)).containsExactly(expected);
    // and a fresh driver would not: it has no anchor and nothing held
    assertThat(new LivePortraitDriving(V, FPS, null).drive(rows(second), second.length))
        .isNotEqualTo(expected);
  }
}
