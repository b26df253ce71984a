package dev.actorfarm.pack;

import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import dev.actorfarm.runtime.pack.PackManifest.ModelFile;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.tribuo.util.onnx.ONNXRef;

/**
 * A generated twin of FasterLivePortrait's {@code liveportrait_onnx} files: the same file names,
 * tensor names, shapes, dtypes and opsets (warping_spade at opset 20 with two 5-D GridSample
 * nodes), with hand-set weights that make every output a documented function of its input, so that
 * tests can tell a right pipeline from a wrong one. No learned weights.
 *
 * <ul>
 *   <li>{@code appearance_feature_extractor}: the 256² crop, space-to-depth into channels 0–2 of
 *       the feature volume (4 × 4 pixel phases along the 16 depth planes), ones in channel 3, zeros
 *       elsewhere;
 *   <li>{@code motion_extractor}: canonical keypoints = the fixed {@link #TEMPLATE}; yaw and pitch
 *       bins peaked at {@link #POSE_GAIN} × the crop's luminance centroid; roll 0; t 0; scale 1;
 *       exp 0 except keypoint 19's y = {@link #OPEN_GAIN} × the mouth box's darkness;
 *   <li>{@code warping_spade}: a keypoint warp: each output pixel samples the crop at its position
 *       plus Σ_k mask_k·(kp_source_k − kp_driving_k), mask_k a Gaussian (σ {@link #SIGMA}) about
 *       kp_driving_k normalised with a background weight {@link #BACKGROUND}, plus the lips'
 *       parting (the lower lip's travel relative to the upper lip, below the mouth line); the first
 *       5-D GridSample samples channel 3 at the 22 sparse motions (an occlusion map: 1 inside the
 *       volume), the second samples the image volume at 512²;
 *   <li>{@code stitching}: pulls the outline's keypoints ({@link #OUTLINE}) {@link #STITCH_PULL} of
 *       the way back to x_s;
 *   <li>{@code stitching_eye}: keypoints 13 and 16 y += {@link #EYE_GAIN} × (mean source eye ratio
 *       − target ratio); {@code stitching_lip}: keypoint 19 y += {@link #LIP_GAIN} × (target lip
 *       ratio − source lip ratio);
 *   <li>{@code landmark}: a fixed 203-point layout with eye ratios {@link #EYE_RATIO} and lip ratio
 *       {@link #LIP_RATIO} in its third output.
 * </ul>
 */
public final class LivePortraitTwin {

  /** Eye line, mouth line and half the eye distance in the crop's [-1, 1] coordinates. */
  public static final float EYE_Y = 0.06f;

  public static final float MOUTH_Y = 0.45f;
  public static final float EYE_HALF = 0.185f;

  public static final float SIGMA = 0.07f;
  public static final float BACKGROUND = 0.02f;
  public static final float POSE_GAIN = 60f;
  public static final float OPEN_GAIN = 0.12f;
  public static final float STITCH_PULL = 0.25f;
  public static final float EYE_GAIN = 0.12f;
  public static final float LIP_GAIN = 0.5f;
  public static final float EYE_RATIO = 0.30f;
  public static final float LIP_RATIO = 0.02f;

  /**
   * The lips' parting: where the parting line is relative to keypoint 17 (the upper lip, which the
   * grin and pursing edits leave in place), its edge, width and fade.
   */
  public static final float GAP_OFFSET = -0.01f;

  public static final float GAP_EDGE = 0.012f;
  public static final float GAP_WIDTH = 0.1f;
  public static final float GAP_FADE = 0.12f;

  /** The mouth box the motion extractor measures, in 256² crop pixels: x0, y0, x1, y1. */
  public static final int[] MOUTH_BOX = {
    (int) ((1 - 0.09) * 128), (int) ((1 + MOUTH_Y - 0.04) * 128),
    (int) ((1 + 0.09) * 128), (int) ((1 + MOUTH_Y + 0.06) * 128)
  };

  static final int K = 21;

  /** The canonical keypoints (x, y, z) in crop coordinates, LivePortrait's index semantics. */
  public static final float[] TEMPLATE = template();

  private LivePortraitTwin() {}

  private static float[] template() {
    float e = EYE_Y;
    float m = MOUTH_Y;
    float d = EYE_HALF;
    float[][] p = new float[K][];
    p[0] = new float[] {0, m + 0.17f};
    p[1] = new float[] {-d, e - 0.10f};
    p[2] = new float[] {d, e - 0.10f};
    p[3] = new float[] {-0.5f * d, m};
    p[4] = new float[] {-1.3f * d, m};
    p[5] = new float[] {0, (e + m) / 2};
    p[6] = new float[] {0, m - 0.03f};
    p[7] = new float[] {0.5f * d, m};
    p[8] = new float[] {1.3f * d, m};
    p[9] = new float[] {0, e - 0.28f};
    p[10] = new float[] {-1.5f * d, e};
    p[11] = new float[] {-d, e};
    p[12] = new float[] {0, m - 0.06f};
    p[13] = new float[] {-d, e - 0.025f};
    p[14] = new float[] {0, m};
    p[15] = new float[] {d, e};
    p[16] = new float[] {d, e - 0.025f};
    p[17] = new float[] {0, m + 0.02f};
    p[18] = new float[] {1.5f * d, e};
    p[19] = new float[] {0, m + 0.045f};
    p[20] = new float[] {0, m + 0.09f};
    float[] out = new float[3 * K];
    for (int i = 0; i < K; i++) {
      out[3 * i] = p[i][0];
      out[3 * i + 1] = p[i][1];
      // Depth: the face is in front of the head's centre, so a yaw moves it sideways.
      out[3 * i + 2] = Math.abs(p[i][0]) > d * 1.2f ? 0.1f : i == 5 ? 0.3f : 0.2f;
    }
    return out;
  }

  /**
   * Writes the twin into {@code dir}: the seven files under the template's names and the shipped
   * manifest template ({@code model-packs/liveportrait/model-pack.json}), unchanged.
   */
  public static void generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    try (InputStream in =
        LivePortraitTwin.class.getResourceAsStream("/model-packs/liveportrait/model-pack.json")) {
      if (in == null) {
        throw new IOException("the LivePortrait manifest template is not on the class path");
      }
      Files.copy(in, dir.resolve(ModelPack.MANIFEST), StandardCopyOption.REPLACE_EXISTING);
    }
    PackManifest m = ModelPack.parse(dir);
    for (var e : m.models().entrySet()) {
      write(dir.resolve(e.getValue().file()), e.getValue(), e.getKey());
    }
  }

  /**
   * Writes the twin of model {@code id} as {@code f} declares it (names, shapes, opset, and float16
   * inputs and outputs where it says so) into {@code file}.
   */
  public static void write(Path file, ModelFile f, String id) throws IOException {
    Graph g = new Graph(id, f.opset());
    builder(id).build(g, f);
    g.write(file, "actorfarm twin of FasterLivePortrait " + id);
  }

  private interface Builder {
    void build(Graph g, ModelFile f);
  }

  private static Builder builder(String id) {
    return switch (id) {
      case "appearance_feature_extractor" -> LivePortraitTwin::appearance;
      case "motion_extractor" -> LivePortraitTwin::motionExtractor;
      case "warping_spade" -> LivePortraitTwin::warping;
      case "stitching" -> LivePortraitTwin::stitching;
      case "stitching_eye" -> LivePortraitTwin::stitchingEye;
      case "stitching_lip" -> LivePortraitTwin::stitchingLip;
      case "landmark" -> LivePortraitTwin::landmark;
      default -> throw new IllegalArgumentException("the twin has no model '" + id + "'");
    };
  }

  // ------------------------------------------------------------------------------------------

  private static void appearance(Graph g, ModelFile f) {
    ONNXRef<?> img = g.input(f.inputs().get(0)); // [1,3,256,256]
    ONNXRef<?> phases =
        g.reshape(
            g.op(
                OnnxOp.TRANSPOSE,
                Map.of("perm", new int[] {0, 1, 3, 5, 2, 4}),
                g.reshape(img, 1, 3, 64, 4, 64, 4)),
            1,
            3,
            16,
            64,
            64);
    ONNXRef<?> ones = g.op(OnnxOp.EXPAND, g.scalar(1f), g.longs(new long[] {1, 1, 16, 64, 64}));
    ONNXRef<?> zeros = g.op(OnnxOp.EXPAND, g.scalar(0f), g.longs(new long[] {1, 28, 16, 64, 64}));
    g.output(f.outputs().get(0), g.concat(1, phases, ones, zeros));
  }

  private static void motionExtractor(Graph g, ModelFile f) {
    ONNXRef<?> img = g.input(f.inputs().get(0));
    ONNXRef<?> lum = g.mul(reduceSum(g, img, 1), 1f / 3); // [1,256,256]
    float[] xs = new float[256];
    for (int i = 0; i < 256; i++) {
      xs[i] = (2f * i + 1) / 256 - 1;
    }
    ONNXRef<?> total = g.add(reduceSum(g, lum, 1, 2), 1e-6f); // [1]
    ONNXRef<?> cx = g.div(reduceSum(g, g.mul(lum, g.tensor(xs, 1, 1, 256)), 1, 2), total);
    ONNXRef<?> cy = g.div(reduceSum(g, g.mul(lum, g.tensor(xs, 1, 256, 1)), 1, 2), total);
    ONNXRef<?> mouth =
        g.slice(g.slice(lum, 1, MOUTH_BOX[1], MOUTH_BOX[3]), 2, MOUTH_BOX[0], MOUTH_BOX[2]);
    int area = (MOUTH_BOX[3] - MOUTH_BOX[1]) * (MOUTH_BOX[2] - MOUTH_BOX[0]);
    ONNXRef<?> dark = g.sub(g.scalar(1f), g.mul(reduceSum(g, mouth, 1, 2), 1f / area)); // [1]
    Map<String, ONNXRef<?>> out =
        Map.of(
            "pitch", bins(g, g.mul(cy, POSE_GAIN)),
            "yaw", bins(g, g.mul(cx, POSE_GAIN)),
            "roll", bins(g, g.mul(cx, 0f)),
            "t", g.mul(g.reshape(cx, 1, 1), g.tensor(new float[3], 1, 3)),
            "exp", g.mul(g.reshape(dark, 1, 1), g.tensor(openRow(), 1, 3 * K)),
            "scale", g.add(g.mul(g.reshape(cx, 1, 1), 0f), 1f),
            "kp", g.add(g.mul(g.reshape(cx, 1, 1), 0f), g.tensor(TEMPLATE, 1, 3 * K)));
    for (TensorSpec t : f.outputs()) {
      g.output(t, out.get(t.roleName()));
    }
  }

  private static float[] openRow() {
    float[] row = new float[3 * K];
    row[3 * 19 + 1] = OPEN_GAIN;
    return row;
  }

  /** 66 bin logits whose softmax expectation is {@code degrees} (3° bins centred on 0). */
  private static ONNXRef<?> bins(Graph g, ONNXRef<?> degrees) {
    float tau = 4f;
    float[] a = new float[66];
    float[] b = new float[66];
    for (int i = 0; i < 66; i++) {
      a[i] = -(float) i * i / tau;
      b[i] = 2f * i / tau;
    }
    ONNXRef<?> centre = g.add(g.mul(g.reshape(degrees, 1, 1), 1f / 3), 32.5f); // [1,1]
    return g.add(g.tensor(a, 1, 66), g.mul(centre, g.tensor(b, 1, 66)));
  }

  private static ONNXRef<?> reduceSum(Graph g, ONNXRef<?> x, long... axes) {
    return g.op(OnnxOp.REDUCE_SUM, Map.of("keepdims", 0), x, g.longs(axes));
  }

  private static void warping(Graph g, ModelFile f) {
    ONNXRef<?> feature = g.input(f.inputs().get(0)); // [1,32,16,64,64]
    ONNXRef<?> kd = g.input(f.inputs().get(1)); // [1,21,3]
    ONNXRef<?> ks = g.input(f.inputs().get(2));
    int n = 64;
    int depth = 16;
    float[] grid = new float[depth * n * n * 3];
    float[] gxy = new float[n * n * 2];
    for (int z = 0; z < depth; z++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          int i = ((z * n + y) * n + x) * 3;
          grid[i] = (2f * x + 1) / n - 1;
          grid[i + 1] = (2f * y + 1) / n - 1;
          grid[i + 2] = (2f * z + 1) / depth - 1;
          if (z == 0) {
            gxy[(y * n + x) * 2] = grid[i];
            gxy[(y * n + x) * 2 + 1] = grid[i + 1];
          }
        }
      }
    }
    ONNXRef<?> kd5 = g.reshape(kd, K, 1, 1, 1, 3);
    ONNXRef<?> ks5 = g.reshape(ks, K, 1, 1, 1, 3);
    ONNXRef<?> shift = g.sub(ks5, kd5); // [21,1,1,1,3]
    ONNXRef<?> identity = g.tensor(grid, 1, depth, n, n, 3);
    ONNXRef<?> sparse = g.concat(0, identity, g.add(identity, shift)); // [22,16,64,64,3]
    // Gaussian weights about the driving keypoints, in x and y, at 64².
    ONNXRef<?> plane = g.tensor(gxy, 1, n, n, 2);
    ONNXRef<?> kdxy = g.reshape(g.slice(kd, 2, 0, 2), K, 1, 1, 2);
    ONNXRef<?> diff = g.sub(plane, kdxy); // [21,64,64,2]
    ONNXRef<?> heat =
        g.op(
            OnnxOp.EXP,
            g.mul(reduceSum(g, g.mul(diff, diff), 3), -1f / (2 * SIGMA * SIGMA))); // [21,64,64]
    ONNXRef<?> bg = g.op(OnnxOp.EXPAND, g.scalar(BACKGROUND), g.longs(new long[] {1, n, n}));
    ONNXRef<?> w = g.concat(0, bg, heat); // [22,64,64]
    ONNXRef<?> mask =
        g.div(w, g.op(OnnxOp.REDUCE_SUM, Map.of("keepdims", 1), w, g.longs(new long[] {0})));
    // First 5-D GridSample: channel 3 (ones) at the 22 sparse motions → where they stay inside.
    ONNXRef<?> ones =
        g.op(OnnxOp.EXPAND, g.slice(feature, 1, 3, 4), g.longs(new long[] {K + 1, 1, depth, n, n}));
    ONNXRef<?> inside =
        g.op(
            OnnxOp.GRID_SAMPLE_20,
            Map.of("align_corners", 0, "mode", "linear", "padding_mode", "zeros"),
            ones,
            sparse); // [22,1,16,64,64]
    ONNXRef<?> insideMean = g.mul(reduceSum(g, inside, 1, 2), 1f / depth); // [22,64,64]
    ONNXRef<?> occlusion = reduceSum(g, g.mul(mask, insideMean), 0); // [64,64]
    // Deformation in x, y: identity + Σ mask_k (ks_k − kd_k).
    ONNXRef<?> shiftXy = g.reshape(g.slice(g.sub(ks, kd), 2, 0, 2), K, 1, 1, 2);
    ONNXRef<?> smooth =
        reduceSum(g, g.mul(g.unsqueeze(g.slice(mask, 0, 1, K + 1), 3), shiftXy), 0); // [64,64,2]
    ONNXRef<?> flow = g.add(smooth, lipGap(g, plane, kd, ks)); // [64,64,2]
    // Bilinear upsampling 64 → 512 (half-pixel centres) as two matrix products.
    float[] up = upsampling(n, 512);
    ONNXRef<?> u = g.tensor(up, 512, n);
    ONNXRef<?> ut = g.tensor(transpose(up, 512, n), n, 512);
    ONNXRef<?> flowPlanes = g.op(OnnxOp.TRANSPOSE, Map.of("perm", new int[] {2, 0, 1}), flow);
    ONNXRef<?> flow512 = g.op(OnnxOp.MATMUL, g.op(OnnxOp.MATMUL, u, flowPlanes), ut); // [2,512,512]
    ONNXRef<?> occ512 = g.op(OnnxOp.MATMUL, g.op(OnnxOp.MATMUL, u, occlusion), ut); // [512,512]
    float[] base = new float[512 * 512 * 2];
    for (int y = 0; y < 512; y++) {
      for (int x = 0; x < 512; x++) {
        base[(y * 512 + x) * 2] = (2f * x + 1) / 512 - 1;
        base[(y * 512 + x) * 2 + 1] = (2f * y + 1) / 512 - 1;
      }
    }
    ONNXRef<?> sampleXy =
        g.add(
            g.tensor(base, 512, 512, 2),
            g.op(OnnxOp.TRANSPOSE, Map.of("perm", new int[] {1, 2, 0}), flow512));
    ONNXRef<?> grid512 =
        g.reshape(
            g.concat(
                2, sampleXy, g.op(OnnxOp.EXPAND, g.scalar(0f), g.longs(new long[] {512, 512, 1}))),
            1,
            1,
            512,
            512,
            3);
    // The crop from its 4 × 4 phases, as a volume of depth 1.
    ONNXRef<?> image =
        g.reshape(
            g.op(
                OnnxOp.TRANSPOSE,
                Map.of("perm", new int[] {0, 1, 4, 2, 5, 3}),
                g.reshape(g.slice(feature, 1, 0, 3), 1, 3, 4, 4, 64, 64)),
            1,
            3,
            1,
            256,
            256);
    ONNXRef<?> sampled =
        g.op(
            OnnxOp.GRID_SAMPLE_20,
            Map.of("align_corners", 0, "mode", "linear", "padding_mode", "border"),
            image,
            grid512); // [1,3,1,512,512]
    ONNXRef<?> out = g.mul(g.reshape(sampled, 1, 3, 512, 512), g.reshape(occ512, 1, 1, 512, 512));
    g.output(f.outputs().get(0), g.clip(out, 0f, 1f));
  }

  /**
   * The lips' parting, a flow [64, 64, 2] added to the smooth keypoint flow: the lower lip's
   * (keypoint 19) vertical travel relative to the upper lip's (keypoint 17), applied to the region
   * below the driven parting line (keypoint 17's y + {@link #GAP_OFFSET}, a step of width {@link
   * #GAP_EDGE}) within {@link #GAP_WIDTH} of the mouth's centre, fading with {@link #GAP_FADE}
   * below it. So the lower lip and the chin move away from the upper lip, which the smooth flow
   * alone would not do: in it the neighbouring mouth keypoints dilute keypoint 19's travel.
   */
  private static ONNXRef<?> lipGap(Graph g, ONNXRef<?> plane, ONNXRef<?> kd, ONNXRef<?> ks) {
    ONNXRef<?> px = g.slice(plane, 3, 0, 1); // [1,64,64,1]
    ONNXRef<?> py = g.slice(plane, 3, 1, 2);
    ONNXRef<?> centre = g.slice(kd, 1, 17, 18); // [1,1,3]
    ONNXRef<?> dy = g.add(g.sub(py, g.slice(centre, 2, 1, 2)), -GAP_OFFSET);
    ONNXRef<?> dx = g.sub(px, g.slice(centre, 2, 0, 1));
    ONNXRef<?> step = g.op(OnnxOp.SIGMOID, g.mul(dy, 1f / GAP_EDGE));
    ONNXRef<?> below = g.op(OnnxOp.RELU, dy);
    ONNXRef<?> fade = g.op(OnnxOp.EXP, g.mul(g.mul(below, below), -1f / (2 * GAP_FADE * GAP_FADE)));
    ONNXRef<?> lateral = g.op(OnnxOp.EXP, g.mul(g.mul(dx, dx), -1f / (2 * GAP_WIDTH * GAP_WIDTH)));
    ONNXRef<?> region = g.mul(g.mul(step, fade), lateral); // [1,64,64,1]
    ONNXRef<?> travel = g.sub(g.slice(ks, 2, 1, 2), g.slice(kd, 2, 1, 2)); // [1,21,1]
    ONNXRef<?> gap = g.sub(g.slice(travel, 1, 19, 20), g.slice(travel, 1, 17, 18)); // [1,1,1]
    ONNXRef<?> gapY = g.mul(region, gap);
    return g.reshape(g.concat(3, g.mul(gapY, 0f), gapY), 64, 64, 2);
  }

  /** Bilinear interpolation matrix [out × in] with half-pixel centres (edge-clamped). */
  static float[] upsampling(int in, int out) {
    float[] m = new float[out * in];
    for (int o = 0; o < out; o++) {
      double src = (o + 0.5) * in / out - 0.5;
      int i0 = (int) Math.floor(src);
      double frac = src - i0;
      int a = Math.max(0, Math.min(in - 1, i0));
      int b = Math.max(0, Math.min(in - 1, i0 + 1));
      m[o * in + a] += (float) (1 - frac);
      m[o * in + b] += (float) frac;
    }
    return m;
  }

  private static float[] transpose(float[] m, int rows, int cols) {
    float[] t = new float[m.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = m[r * cols + c];
      }
    }
    return t;
  }

  /** The outline's keypoints, which the twin's stitching holds towards the source. */
  static final int[] OUTLINE = {0, 4, 8, 9, 10, 18};

  private static void stitching(Graph g, ModelFile f) {
    int k3 = 3 * K;
    float[] w = new float[2 * k3 * (k3 + 2)];
    for (int i : OUTLINE) {
      for (int c = 0; c < 3; c++) {
        // Δ[3i + c] = −pull · (x_d − x_s) of outline keypoint i.
        w[(3 * i + c) * (k3 + 2) + 3 * i + c] = STITCH_PULL;
        w[(k3 + 3 * i + c) * (k3 + 2) + 3 * i + c] = -STITCH_PULL;
      }
    }
    ONNXRef<?> in = g.input(f.inputs().get(0));
    g.output(f.outputs().get(0), g.op(OnnxOp.MATMUL, in, g.tensor(w, 2 * k3, k3 + 2)));
  }

  private static void stitchingEye(Graph g, ModelFile f) {
    int k3 = 3 * K;
    float[] w = new float[(k3 + 3) * k3];
    for (int kp : new int[] {13, 16}) {
      int col = 3 * kp + 1;
      w[k3 * k3 + col] = EYE_GAIN / 2;
      w[(k3 + 1) * k3 + col] = EYE_GAIN / 2;
      w[(k3 + 2) * k3 + col] = -EYE_GAIN;
    }
    ONNXRef<?> in = g.input(f.inputs().get(0));
    g.output(f.outputs().get(0), g.op(OnnxOp.MATMUL, in, g.tensor(w, k3 + 3, k3)));
  }

  private static void stitchingLip(Graph g, ModelFile f) {
    int k3 = 3 * K;
    float[] w = new float[(k3 + 2) * k3];
    int col = 3 * 19 + 1;
    w[k3 * k3 + col] = -LIP_GAIN;
    w[(k3 + 1) * k3 + col] = LIP_GAIN;
    ONNXRef<?> in = g.input(f.inputs().get(0));
    g.output(f.outputs().get(0), g.op(OnnxOp.MATMUL, in, g.tensor(w, k3 + 2, k3)));
  }

  /** The twin's 203 points in [0, 1] of the 224 crop. */
  public static float[] landmarkTemplate() {
    float[] p = new float[406];
    for (int i = 0; i < 203; i++) {
      double a = 2 * Math.PI * i / 203;
      p[2 * i] = (float) (0.5 + 0.3 * Math.cos(a));
      p[2 * i + 1] = (float) (0.55 + 0.35 * Math.sin(a));
    }
    float eyeW = 0.12f;
    setEye(p, 0, 0.33f, 0.42f, eyeW);
    setEye(p, 24, 0.67f, 0.42f, eyeW);
    set(p, 48, 0.42f, 0.72f);
    set(p, 66, 0.58f, 0.72f);
    set(p, 90, 0.5f, 0.72f - LIP_RATIO * 0.16f / 2);
    set(p, 102, 0.5f, 0.72f + LIP_RATIO * 0.16f / 2);
    return p;
  }

  private static void setEye(float[] p, int first, float cx, float cy, float width) {
    set(p, first, cx - width / 2, cy);
    set(p, first + 12, cx + width / 2, cy);
    set(p, first + 6, cx, cy - EYE_RATIO * width / 2);
    set(p, first + 18, cx, cy + EYE_RATIO * width / 2);
  }

  private static void set(float[] p, int i, float x, float y) {
    p[2 * i] = x;
    p[2 * i + 1] = y;
  }

  private static void landmark(Graph g, ModelFile f) {
    ONNXRef<?> in = g.input(f.inputs().get(0));
    ONNXRef<?> zero = g.mul(g.reshape(reduceSum(g, in, 1, 2, 3), 1, 1), 0f); // [1,1]
    for (TensorSpec t : f.outputs()) {
      int n = (int) (long) t.shape().get(1);
      float[] values = t.roleName().equals("points") ? landmarkTemplate() : new float[n];
      g.output(t, g.add(zero, g.tensor(values, 1, n)));
    }
  }
}
