package dev.actorfarm.pack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tribuo.util.onnx.ONNXRef;

/**
 * A generated twin of a JoyVASA-class diffusion motion generator: one denoiser step with the
 * contract the farm's host sampler drives ({@code motion [B, P+W, 70]} float32, {@code timesteps
 * [B, P+W]} int64, {@code audio_features [B, W, 40]} float32 → {@code prediction [B, P+W, 70]}) and
 * the JoyVASA motion layout (exp 63, scale, t 3, pitch, yaw, roll).
 *
 * <p>Its weights make it the <em>optimal</em> denoiser of a known data distribution, so a sampler's
 * output has a closed form. In the generator's normalised space each window value is Gaussian, x₀ ~
 * N(μ, σ₀²), with μ = {@link #BASE} + open × {@link #direction()}: {@code open} the clipped speech
 * energy of the frame's features (the reference encoder's log-mel bands 3–25, 0 at −9 and 1 at −1),
 * the direction LivePortrait's own lip-open edit (keypoint 19 y +0.1, z +0.01, keypoint 17 y −0.01
 * at full open) with a nod of {@link #NOD} σ. Context frames have μ = 0. For x_t = √ᾱ·x₀ + √(1−ᾱ)·ε
 * the optimal predictions are
 *
 * <pre>
 *   ε̂  = √(1−ᾱ)·(x_t − √ᾱ·μ) / (ᾱσ₀² + 1 − ᾱ)
 *   x̂₀ = μ + √ᾱ·σ₀²·(x_t − √ᾱ·μ) / (ᾱσ₀² + 1 − ᾱ)
 *   v̂  = √ᾱ·ε̂ − √(1−ᾱ)·x̂₀
 * </pre>
 *
 * with ᾱ gathered from the schedule's table at each frame's timestep.
 */
public final class DiffusionTwin {

  public static final String FILE = "motion_denoiser.onnx";
  public static final int WINDOW = 100;
  public static final int CONTEXT = 25;
  public static final int M = 70;
  public static final int D = ReferenceParameters.N_MELS;

  /** Normalised units: exp values have std 0.01, scale 0.01, t 0.005, angles 2 degrees. */
  public static final float EXP_STD = 0.01f;

  public static final float T_STD = 0.005f;
  public static final float ANGLE_STD = 2f;

  /** A nod (pitch, in σ) with speech energy. */
  public static final float NOD = 0.5f;

  /** μ at silence: the mean. */
  public static final float BASE = 0f;

  private DiffusionTwin() {}

  /** The lip-open direction in normalised units (full open). */
  public static float[] direction() {
    float[] dir = new float[M];
    dir[19 * 3 + 1] = 0.06f / EXP_STD;
    dir[19 * 3 + 2] = 0.006f / EXP_STD;
    dir[17 * 3 + 1] = -0.006f / EXP_STD;
    dir[67] = NOD;
    return dir;
  }

  /** The JoyVASA layout's 70 channel names. */
  public static List<String> channels() {
    List<String> out = new java.util.ArrayList<>();
    for (int k = 0; k < 21; k++) {
      for (String a : new String[] {"x", "y", "z"}) {
        out.add("exp_" + k + "_" + a);
      }
    }
    out.addAll(List.of("scale", "tx", "ty", "tz", "pitch", "yaw", "roll"));
    return out;
  }

  /** The de-normalisation statistics: mean and std per channel. */
  public static float[][] statistics() {
    float[] mean = new float[M];
    float[] std = new float[M];
    for (int i = 0; i < 63; i++) {
      std[i] = EXP_STD;
    }
    mean[63] = 1;
    std[63] = 0.01f;
    for (int i = 64; i < 67; i++) {
      std[i] = T_STD;
    }
    for (int i = 67; i < 70; i++) {
      std[i] = ANGLE_STD;
    }
    return new float[][] {mean, std};
  }

  /** The per-frame mouth opening the twin's μ follows, from one frame's 40 log-mel features. */
  public static float open(float[] features, int frame) {
    double e = 0;
    for (int b = ReferenceParameters.SPEECH_LO; b < ReferenceParameters.SPEECH_HI; b++) {
      e += features[frame * D + b];
    }
    e /= ReferenceParameters.SPEECH_HI - ReferenceParameters.SPEECH_LO;
    double o =
        (e - ReferenceParameters.ENERGY_CLOSED)
            / (ReferenceParameters.ENERGY_OPEN - ReferenceParameters.ENERGY_CLOSED);
    return (float) Math.max(0, Math.min(1, o));
  }

  /**
   * Writes the twin denoiser to {@code file} for ᾱ table {@code alphaBar}, prediction type {@code
   * prediction} and data spread {@code sigma0}.
   */
  public static void write(Path file, double[] alphaBar, String prediction, float sigma0)
      throws IOException {
    Graph g = new Graph("motion_denoiser");
    ONNXRef<?> x =
        g.input(
            new TensorSpec(
                "motion", "float32", List.of(-1L, (long) CONTEXT + WINDOW, (long) M), null));
    ONNXRef<?> ts =
        g.input(new TensorSpec("timesteps", "int64", List.of(-1L, (long) CONTEXT + WINDOW), null));
    ONNXRef<?> f =
        g.input(
            new TensorSpec(
                "audio_features", "float32", List.of(-1L, (long) WINDOW, (long) D), null));
    // open = clip((mean of the speech bands − closed) / (open − closed), 0, 1): [B, W, 1]
    float[] pick = new float[D];
    float span = ReferenceParameters.ENERGY_OPEN - ReferenceParameters.ENERGY_CLOSED;
    for (int b = ReferenceParameters.SPEECH_LO; b < ReferenceParameters.SPEECH_HI; b++) {
      pick[b] = 1f / (ReferenceParameters.SPEECH_HI - ReferenceParameters.SPEECH_LO) / span;
    }
    ONNXRef<?> energy = g.op(OnnxOp.MATMUL, f, g.tensor(pick, D, 1));
    ONNXRef<?> open = g.clip(g.add(energy, -ReferenceParameters.ENERGY_CLOSED / span), 0f, 1f);
    ONNXRef<?> muWindow = g.add(g.mul(open, g.tensor(direction(), M)), BASE);
    // context rows: μ = 0, shaped like the context part of the input
    ONNXRef<?> muContext = g.mul(g.slice(x, 1, 0, CONTEXT), 0f);
    ONNXRef<?> mu = g.concat(1, muContext, muWindow);
    float[] table = new float[alphaBar.length];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) alphaBar[i];
    }
    ONNXRef<?> a = g.unsqueeze(g.op(OnnxOp.GATHER, g.tensor(table, table.length), ts), 2);
    ONNXRef<?> sa = g.op(OnnxOp.SQRT, a);
    ONNXRef<?> oneMinusA = g.add(g.neg(a), 1f);
    ONNXRef<?> s1a = g.op(OnnxOp.SQRT, oneMinusA);
    ONNXRef<?> centred = g.sub(x, g.mul(sa, mu));
    ONNXRef<?> denom = g.add(g.mul(a, sigma0 * sigma0), oneMinusA);
    ONNXRef<?> eps = g.div(g.mul(s1a, centred), denom);
    ONNXRef<?> x0 = g.add(mu, g.div(g.mul(g.mul(sa, sigma0 * sigma0), centred), denom));
    ONNXRef<?> out =
        switch (prediction) {
          case "eps" -> eps;
          case "x0" -> x0;
          case "v" -> g.sub(g.mul(sa, eps), g.mul(s1a, x0));
          default -> throw new IllegalArgumentException("prediction " + prediction);
        };
    g.output(
        new TensorSpec(
            "prediction", "float32", List.of(-1L, (long) CONTEXT + WINDOW, (long) M), null),
        out);
    g.write(file, "actorfarm twin of a diffusion motion denoiser (" + prediction + ")");
  }

  /**
   * The LivePortrait twin pack ({@link LivePortraitTwin}) with this twin as its motion generator:
   * DDIM, 25 steps, guidance 2, eps prediction, linear schedule over 1000 steps, diffusion forcing
   * with a stagger of 0.1 and the context at level 50.
   */
  public static void generatePack(Path dir) throws IOException {
    LivePortraitTwin.generate(dir);
    Path manifest = dir.resolve(ModelPack.MANIFEST);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(manifest.toFile());
    ObjectNode g = json.createObjectNode();
    g.put("file", FILE);
    g.put("windowFrames", WINDOW);
    g.put("contextFrames", CONTEXT);
    g.put("motionDim", M);
    ArrayNode ch = g.putArray("motionChannels");
    channels().forEach(ch::add);
    float[][] stats = statistics();
    ArrayNode rest = g.putArray("restPose");
    for (float v : stats[0]) {
      rest.add(v);
    }
    g.putArray("controls");
    g.put("sampler", "ddim");
    g.put("steps", 25);
    g.put("guidance", 2.0);
    g.put("layout", "joyvasa");
    ObjectNode in = g.putObject("inputs");
    in.set("motion", spec(json, "motion", "float32", -1, CONTEXT + WINDOW, M));
    in.set("timesteps", spec(json, "timesteps", "int64", -1, CONTEXT + WINDOW));
    in.set("audio_features", spec(json, "audio_features", "float32", -1, WINDOW, D));
    g.putObject("outputs")
        .set("prediction", spec(json, "prediction", "float32", -1, CONTEXT + WINDOW, M));
    ObjectNode d = g.putObject("diffusion");
    d.put("prediction", "eps");
    d.put("schedule", "linear");
    d.put("trainSteps", 1000);
    d.put("betaStart", 1e-4);
    d.put("betaEnd", 0.02);
    d.put("eta", 0.0);
    d.put("forcingStagger", 0.1);
    d.put("contextLevel", 50);
    d.put("nullFeature", -23.0);
    ArrayNode mean = d.putArray("mean");
    ArrayNode std = d.putArray("std");
    for (int i = 0; i < M; i++) {
      mean.add(stats[0][i]);
      std.add(stats[1][i]);
    }
    root.set("motionGenerator", g);
    root.put(
        "description",
        root.get("description").asText() + " Motion: a twin diffusion generator (JoyVASA layout).");
    json.writerWithDefaultPrettyPrinter().writeValue(manifest.toFile(), root);
    write(dir.resolve(FILE), linearAlphaBar(1000, 1e-4, 0.02), "eps", 0.2f);
  }

  /** ᾱ of a linear β schedule (the same formula as the farm's sampler, written out here). */
  public static double[] linearAlphaBar(int steps, double b0, double b1) {
    double[] a = new double[steps];
    double prod = 1;
    for (int t = 0; t < steps; t++) {
      prod *= 1 - (b0 + (b1 - b0) * t / (steps - 1));
      a[t] = prod;
    }
    return a;
  }

  private static ObjectNode spec(ObjectMapper json, String name, String dtype, long... shape) {
    ObjectNode n = json.createObjectNode();
    n.put("name", name);
    n.put("dtype", dtype);
    ArrayNode s = n.putArray("shape");
    for (long v : shape) {
      s.add(v);
    }
    return n;
  }
}
