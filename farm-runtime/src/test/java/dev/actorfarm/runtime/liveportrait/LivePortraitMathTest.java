package dev.actorfarm.runtime.liveportrait;

import static org.junit.jupiter.api.Assertions.*;

import dev.actorfarm.runtime.liveportrait.LivePortraitMath.KpInfo;
import org.junit.jupiter.api.Test;

/** LivePortrait's host math against examples worked by hand. */
class LivePortraitMathTest {

  @Test
  void binsToDegrees() {
    float[] peak = new float[66];
    peak[32] = 1000;
    assertEquals(32 * 3 - 97.5, LivePortraitMath.degrees(peak), 1e-9); // -1.5°
    assertEquals(0, LivePortraitMath.degrees(new float[66]), 1e-9); // mean bin 32.5
    float[] two = new float[66];
    two[40] = 1000;
    two[41] = 1000;
    assertEquals(40.5 * 3 - 97.5, LivePortraitMath.degrees(two), 1e-9); // 24°
  }

  @Test
  void keypointsAreRowVectorsTimesTheTransposedRotation() {
    // yaw 90°: R = Ryᵀ, and (1, 0, 0)·Ryᵀ = (cos 90°, 0, −sin 90°) = (0, 0, −1).
    double[] r = LivePortraitMath.rotation(0, 90, 0);
    float[] x =
        LivePortraitMath.transform(
            new float[] {1, 0, 0}, r, new float[] {0.1f, 0, 0}, 2, new float[] {0.5f, 0.5f, 9});
    // x = 2·((0, 0, −1) + (0.1, 0, 0)) + (0.5, 0.5, t_z ignored)
    assertArrayEquals(new float[] {0.7f, 0.5f, -2f}, x, 1e-6f);
    // roll 90°: (1, 0, 0)·Rzᵀ = (cos, −sin… first column of Rz) = (0, 1, 0).
    float[] y =
        LivePortraitMath.transform(
            new float[] {1, 0, 0},
            LivePortraitMath.rotation(0, 0, 90),
            new float[3],
            1,
            new float[3]);
    assertArrayEquals(new float[] {0, 1, 0}, y, 1e-6f);
  }

  @Test
  void anglesInvertTheRotation() {
    double[] a = LivePortraitMath.angles(LivePortraitMath.rotation(10, -25, 7));
    assertArrayEquals(new double[] {10, -25, 7}, a, 1e-9);
  }

  @Test
  void relativeDrivingComposesWithTheAnchor() {
    float[] kp = {0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0};
    KpInfo s = new KpInfo(5, -10, 2, new float[] {0.1f, 0.2f, 0.3f}, new float[6], 1.5f, kp);
    KpInfo d0 = new KpInfo(1, 2, 3, new float[] {0.01f, 0.02f, 0}, new float[6], 1.2f, kp);
    // Driving frame = its anchor: the source's own keypoints.
    var same = LivePortraitMath.relative(s, d0, d0);
    assertArrayEquals(LivePortraitMath.keypoints(s), LivePortraitMath.driven(kp, same), 1e-6f);
    // A driving frame 20° of yaw from the anchor, scale × 1.1, exp + 0.05, t + (0.1, 0):
    float[] exp = {0.05f, 0, 0, 0, 0, 0};
    KpInfo d = new KpInfo(1, 2, 3, new float[] {0.11f, 0.02f, 5}, exp, 1.32f, kp);
    var moved = LivePortraitMath.relative(s, d, d0);
    assertEquals(1.5f * 1.1f, moved.scale(), 1e-6);
    assertArrayEquals(new float[] {0.2f, 0.2f, 0}, moved.t(), 1e-6f); // t_z = 0
    assertEquals(0.05f, moved.exp()[0], 1e-7);
    // R = R_d·R_d0ᵀ·R_s
    double[] want =
        LivePortraitMath.matmul(
            LivePortraitMath.matmul(
                LivePortraitMath.rotation(1, 2, 3),
                LivePortraitMath.transpose(LivePortraitMath.rotation(1, 2, 3))),
            LivePortraitMath.rotation(5, -10, 2));
    assertArrayEquals(want, same.rotation(), 1e-12);
  }

  @Test
  void stitchingMultiplierAndEdits() {
    float[] xd = {1, 2, 3, 4, 5, 6};
    LivePortraitMath.stitch(xd, new float[] {0.1f, 0, 0, 0, 0, 0.2f, 1, -1});
    assertArrayEquals(new float[] {2.1f, 1, 3, 5, 4, 6.2f}, xd, 1e-6f);
    float[] xs = {0, 0, 0, 0, 0, 0};
    LivePortraitMath.multiply(xs, xd, 0.5);
    assertArrayEquals(new float[] {1.05f, 0.5f, 1.5f, 2.5f, 2, 3.1f}, xd, 1e-6f);
    float[] exp = new float[63];
    LivePortraitMath.lipOpen(exp, 100);
    assertEquals(0.1f, exp[19 * 3 + 1], 1e-7);
    assertEquals(0.01f, exp[19 * 3 + 2], 1e-7);
    assertEquals(-0.01f, exp[17 * 3 + 1], 1e-7);
    float[] smile = new float[63];
    LivePortraitMath.smile(smile, 1);
    assertEquals(-0.02f, smile[14 * 3 + 1], 1e-7);
    assertEquals(0.0065f, smile[17 * 3 + 1], 1e-7);
    assertEquals(-0.0035f, smile[7 * 3 + 1], 1e-7);
    float[] grin = new float[63];
    LivePortraitMath.grin(grin, 10);
    assertEquals(-0.01f, grin[20 * 3 + 2], 1e-7);
  }
}
