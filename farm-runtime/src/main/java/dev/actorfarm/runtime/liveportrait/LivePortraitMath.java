package dev.actorfarm.runtime.liveportrait;

/**
 * LivePortrait's host-side motion math, after {@code src/utils/camera.py}, {@code
 * live_portrait_wrapper.py}, {@code live_portrait_pipeline.py} and {@code gradio_pipeline.py}
 * (KwaiVGI/LivePortrait@1986663). Keypoints are row vectors ({@code [K × 3]} row-major) multiplied
 * on the right by the rotation; matrices are row-major {@code double[9]}.
 */
public final class LivePortraitMath {

  private LivePortraitMath() {}

  /** A motion extractor's result, angles already in degrees. */
  public record KpInfo(
      double pitch, double yaw, double roll, float[] t, float[] exp, float scale, float[] kp) {}

  /** Driven motion: the rotation, expression, scale and translation that build x_d. */
  public record Driven(double[] rotation, float[] exp, float scale, float[] t) {}

  /** Pose bins to degrees: Σ softmax(bins)·i · 3 − 97.5 (66 bins of 3° centred on 0). */
  public static double degrees(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double weighted = 0;
    for (int i = 0; i < logits.length; i++) {
      double e = Math.exp(logits[i] - max);
      sum += e;
      weighted += e * i;
    }
    return weighted / sum * 3 - 97.5;
  }

  /** R = (Rz·Ry·Rx)ᵀ with x = pitch, y = yaw, z = roll, all in degrees. */
  public static double[] rotation(double pitch, double yaw, double roll) {
    double x = Math.toRadians(pitch);
    double y = Math.toRadians(yaw);
    double z = Math.toRadians(roll);
    double[] rx = {1, 0, 0, 0, Math.cos(x), -Math.sin(x), 0, Math.sin(x), Math.cos(x)};
    double[] ry = {Math.cos(y), 0, Math.sin(y), 0, 1, 0, -Math.sin(y), 0, Math.cos(y)};
    double[] rz = {Math.cos(z), -Math.sin(z), 0, Math.sin(z), Math.cos(z), 0, 0, 0, 1};
    return transpose(matmul(matmul(rz, ry), rx));
  }

  /** The (pitch, yaw, roll) in degrees whose {@link #rotation} is {@code r} (|yaw| < 90°). */
  public static double[] angles(double[] r) {
    double[] a = transpose(r); // Rz·Ry·Rx
    double yaw = -Math.asin(Math.max(-1, Math.min(1, a[6])));
    double pitch = Math.atan2(a[7], a[8]);
    double roll = Math.atan2(a[3], a[0]);
    return new double[] {Math.toDegrees(pitch), Math.toDegrees(yaw), Math.toDegrees(roll)};
  }

  /** x = s·(kp·R + exp) + t, with only t_x and t_y applied. */
  public static float[] transform(float[] kp, double[] r, float[] exp, float scale, float[] t) {
    int k = kp.length / 3;
    float[] x = new float[kp.length];
    for (int i = 0; i < k; i++) {
      for (int c = 0; c < 3; c++) {
        double v =
            kp[3 * i] * r[c] + kp[3 * i + 1] * r[3 + c] + kp[3 * i + 2] * r[6 + c] + exp[3 * i + c];
        x[3 * i + c] = (float) (scale * v + (c < 2 ? t[c] : 0));
      }
    }
    return x;
  }

  /** x_s: the source's own keypoints. */
  public static float[] keypoints(KpInfo s) {
    return transform(s.kp(), rotation(s.pitch(), s.yaw(), s.roll()), s.exp(), s.scale(), s.t());
  }

  /**
   * Relative driving of source {@code s} by driving frame {@code d} against the driving anchor
   * {@code d0}: R = R_d·R_d0ᵀ·R_s, exp = exp_s + exp_d − exp_d0, scale = s_s·s_d/s_d0, t = t_s +
   * t_d − t_d0 with t_z = 0.
   */
  public static Driven relative(KpInfo s, KpInfo d, KpInfo d0) {
    double[] r =
        matmul(
            matmul(
                rotation(d.pitch(), d.yaw(), d.roll()),
                transpose(rotation(d0.pitch(), d0.yaw(), d0.roll()))),
            rotation(s.pitch(), s.yaw(), s.roll()));
    float[] exp = new float[s.exp().length];
    for (int i = 0; i < exp.length; i++) {
      exp[i] = s.exp()[i] + d.exp()[i] - d0.exp()[i];
    }
    float[] t = new float[3];
    for (int i = 0; i < 2; i++) {
      t[i] = s.t()[i] + d.t()[i] - d0.t()[i];
    }
    return new Driven(r, exp, s.scale() * d.scale() / d0.scale(), t);
  }

  /** x_d of a driven motion: s·(kp_s·R + exp) + t. */
  public static float[] driven(float[] kpSource, Driven d) {
    return transform(kpSource, d.rotation(), d.exp(), d.scale(), d.t());
  }

  /** The stitching network's input: x_s ‖ x_d. */
  public static float[] concat(float[] a, float[] b) {
    float[] out = new float[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * Applies the stitching network's output {@code delta [3K + 2]} to {@code xd} in place: the first
   * 3K values to every keypoint, the last two to every keypoint's x and y.
   */
  public static void stitch(float[] xd, float[] delta) {
    int k3 = xd.length;
    for (int i = 0; i < k3; i++) {
      xd[i] += delta[i];
    }
    for (int i = 0; i < k3 / 3; i++) {
      xd[3 * i] += delta[k3];
      xd[3 * i + 1] += delta[k3 + 1];
    }
  }

  /** x_d ← x_s + (x_d − x_s)·m, in place. */
  public static void multiply(float[] xs, float[] xd, double m) {
    for (int i = 0; i < xd.length; i++) {
      xd[i] = (float) (xs[i] + (xd[i] - xs[i]) * m);
    }
  }

  // ---- expression edits (gradio_pipeline.py, update_delta_new_*): exp [K × 3] += coefficient·v

  private static void add(float[] exp, int kp, int axis, double value) {
    exp[3 * kp + axis] += (float) value;
  }

  /**
   * Lip close ↔ open ("lip_variation_three", −90…120): kp19 y +0.001v, z +0.0001v, kp17 y −0.0001v.
   */
  public static void lipOpen(float[] exp, double v) {
    add(exp, 19, 1, 0.001 * v);
    add(exp, 19, 2, 0.0001 * v);
    add(exp, 17, 1, -0.0001 * v);
  }

  /** Grin ("lip_variation_two", 0…15): kp20 z, kp20 y and kp14 y, −0.001v each. */
  public static void grin(float[] exp, double v) {
    add(exp, 20, 2, -0.001 * v);
    add(exp, 20, 1, -0.001 * v);
    add(exp, 14, 1, -0.001 * v);
  }

  /** Pursing ("lip_variation_one", −20…15): kp14 y +0.001v, kp3 y, kp7 y, kp17 z −0.0005v. */
  public static void pursing(float[] exp, double v) {
    add(exp, 14, 1, 0.001 * v);
    add(exp, 3, 1, -0.0005 * v);
    add(exp, 7, 1, -0.0005 * v);
    add(exp, 17, 2, -0.0005 * v);
  }

  /** Smile (−0.3…1.3). */
  public static void smile(float[] exp, double v) {
    add(exp, 20, 1, -0.01 * v);
    add(exp, 14, 1, -0.02 * v);
    add(exp, 17, 1, 0.0065 * v);
    add(exp, 17, 2, 0.003 * v);
    add(exp, 13, 1, -0.00275 * v);
    add(exp, 16, 1, -0.00275 * v);
    add(exp, 3, 1, -0.0035 * v);
    add(exp, 7, 1, -0.0035 * v);
  }

  /**
   * Eyelids through keypoints 13 and 16, the blink term of the gaze panel: b moves both lids by
   * +0.0003b in y (b up to 31.5 on the panel's range).
   */
  public static void eyelids(float[] exp, double b) {
    add(exp, 13, 1, 0.0003 * b);
    add(exp, 16, 1, 0.0003 * b);
  }

  /**
   * Eyebrow (−30…30): v &gt; 0: kp1 y +0.001v, kp2 y −0.001v; v &lt; 0: kp1 x −0.001v, kp2 x
   * +0.001v, kp1 y +0.0003v, kp2 y −0.0003v.
   */
  public static void eyebrow(float[] exp, double v) {
    if (v > 0) {
      add(exp, 1, 1, 0.001 * v);
      add(exp, 2, 1, -0.001 * v);
    } else {
      add(exp, 1, 0, -0.001 * v);
      add(exp, 2, 0, 0.001 * v);
      add(exp, 1, 1, 0.0003 * v);
      add(exp, 2, 1, -0.0003 * v);
    }
  }

  /**
   * Gaze (x −30…30, y −63…63): x &gt; 0: kp11 x +0.0007x, kp15 x +0.001x; x &lt; 0: kp11 x +0.001x,
   * kp15 x +0.0007x; y: kp11 y and kp15 y −0.001y, with the panel's blink term b = −y/2 (kp11 y,
   * kp15 y −0.001b; kp13 y, kp16 y +0.0003b).
   */
  public static void gaze(float[] exp, double x, double y) {
    add(exp, 11, 0, (x > 0 ? 0.0007 : 0.001) * x);
    add(exp, 15, 0, (x > 0 ? 0.001 : 0.0007) * x);
    double b = -y / 2;
    add(exp, 11, 1, -0.001 * y - 0.001 * b);
    add(exp, 15, 1, -0.001 * y - 0.001 * b);
    add(exp, 13, 1, 0.0003 * b);
    add(exp, 16, 1, 0.0003 * b);
  }

  // ---- ratios on the 203-point landmarks (retargeting_utils.py)

  /** Eye-close ratios, left and right: |p6 − p18| / |p0 − p12| and |p30 − p42| / |p24 − p36|. */
  public static double[] eyeRatios(float[] points) {
    return new double[] {
      dist(points, 6, 18) / dist(points, 0, 12), dist(points, 30, 42) / dist(points, 24, 36)
    };
  }

  /** Lip-close ratio |p90 − p102| / |p48 − p66|. */
  public static double lipRatio(float[] points) {
    return dist(points, 90, 102) / dist(points, 48, 66);
  }

  private static double dist(float[] p, int a, int b) {
    return Math.hypot(p[2 * a] - p[2 * b], p[2 * a + 1] - p[2 * b + 1]) + 1e-6;
  }

  // ---- 3 × 3 matrices

  /** The 3 × 3 product a·b. */
  public static double[] matmul(double[] a, double[] b) {
    double[] c = new double[9];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
      }
    }
    return c;
  }

  /** The 3 × 3 transpose. */
  public static double[] transpose(double[] a) {
    return new double[] {a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]};
  }
}
