package dev.actorfarm.motion.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.motion.CounterRng;
import dev.actorfarm.pack.DiffusionTwin;
import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.pack.PackManifest;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host samplers against closed forms. The twin denoiser (run by ONNX Runtime) is the optimal
 * denoiser of a Gaussian data distribution N(μ, σ₀²) per value, so every DDIM step is linear in the
 * centred value y = x − √ᾱ·μ and DDPM's ancestral chain has a known mean and variance.
 */
class DiffusionSamplerTest {

  static final int T = 1000;
  static final int P = DiffusionTwin.CONTEXT;
  static final int W = DiffusionTwin.WINDOW;
  static final int M = DiffusionTwin.M;
  static final int D = DiffusionTwin.D;
  static final float SIGMA0 = 0.5f;
  static final float NULL = -23f;

  @TempDir static Path dir;
  static final List<OnnxModel> models = new ArrayList<>();
  static NoiseSchedule linear;
  static NoiseSchedule cosine;

  @BeforeAll
  static void setUp() {
    linear = NoiseSchedule.linear(T, 1e-4, 0.02);
    cosine = NoiseSchedule.cosine(T);
  }

  @AfterAll
  static void tearDown() throws Exception {
    for (OnnxModel m : models) {
      m.close();
    }
  }

  static DiffusionSampler.Denoiser twin(NoiseSchedule s, String prediction) throws Exception {
    Path file = dir.resolve(prediction + "-" + s.hashCode() + ".onnx");
    DiffusionTwin.write(file, s.alphaBars(), prediction, SIGMA0);
    OnnxModel m =
        OnnxModel.open(
            file,
            "twin",
            List.of(
                new TensorSpec("motion", "float32", List.of(-1L, (long) P + W, (long) M), null),
                new TensorSpec("timesteps", "int64", List.of(-1L, (long) P + W), null),
                new TensorSpec(
                    "audio_features", "float32", List.of(-1L, (long) W, (long) D), null)),
            List.of(
                new TensorSpec(
                    "prediction", "float32", List.of(-1L, (long) P + W, (long) M), null)),
            "cpu",
            1);
    models.add(m);
    return (batch, x, t, f) ->
        m.run(
                Map.of("motion", x, "timesteps", t, "audio_features", f),
                Map.of(
                    "motion", new long[] {batch, P + W, M},
                    "timesteps", new long[] {batch, P + W},
                    "audio_features", new long[] {batch, W, D}))
            .get("prediction");
  }

  static PackManifest.Diffusion diffusion(
      String prediction, String schedule, double eta, double stagger) {
    return new PackManifest.Diffusion(
        prediction, schedule, T, 1e-4, 0.02, eta, stagger, 0, NULL, null, null);
  }

  /** Speech energy rising across the window: the twin's mouth opening goes from 0 to 1. */
  static float[] features() {
    float[] f = new float[W * D];
    for (int j = 0; j < W; j++) {
      for (int b = 0; b < D; b++) {
        f[j * D + b] = -10f + 10f * j / (W - 1);
      }
    }
    return f;
  }

  static float[] mu(float[] features, double scale) {
    float[] dir = DiffusionTwin.direction();
    float[] mu = new float[W * M];
    for (int j = 0; j < W; j++) {
      float open = DiffusionTwin.open(features, j);
      for (int c = 0; c < M; c++) {
        mu[j * M + c] = (float) (scale * (DiffusionTwin.BASE + open * dir[c]));
      }
    }
    return mu;
  }

  /** The DDIM (η = 0) answer: μ + Π_k f(ᾱ_k, ᾱ_{k+1}) · (x_T − √ᾱ_T·μ), f the step's gain. */
  static float[] ddimClosedForm(
      DiffusionSampler s, NoiseSchedule sched, int steps, float[] mu, long seed, int window) {
    double gain = 1;
    for (int k = 0; k < steps; k++) {
      double a = sched.alphaBar(s.timestep(k));
      double next = sched.alphaBar(s.timestep(k + 1));
      double s2 = SIGMA0 * SIGMA0;
      gain *= (Math.sqrt(a * next) * s2 + Math.sqrt((1 - a) * (1 - next))) / (a * s2 + 1 - a);
    }
    double aT = sched.alphaBar(s.timestep(0));
    float[] xT = CounterRng.normals(seed, window, 0, W * M);
    float[] out = new float[W * M];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (mu[i] + gain * (xT[i] - Math.sqrt(aT) * mu[i]));
    }
    return out;
  }

  static DiffusionSampler sampler(
      String kind, int steps, PackManifest.Diffusion d, double guidance, boolean guided) {
    return new DiffusionSampler(kind, steps, d, P, W, M, guidance, guided);
  }

  static float[] context() {
    return new float[P * M];
  }

  @Test
  void ddimMatchesTheClosedFormForEveryPredictionAndSchedule() throws Exception {
    float[] f = features();
    float[] mu = mu(f, 1);
    for (NoiseSchedule sched : List.of(linear, cosine)) {
      String schedName = sched == linear ? "linear" : "cosine";
      for (String prediction : List.of("eps", "x0", "v")) {
        DiffusionSampler s = sampler("ddim", 10, diffusion(prediction, schedName, 0, 0), 1, false);
        float[] got = s.sample(twin(sched, prediction), f, context(), 7, 3);
        float[] want = ddimClosedForm(s, sched, 10, mu, 7, 3);
        assertThat(maxDiff(got, want)).as(schedName + " " + prediction).isLessThan(2e-3f);
      }
    }
  }

  @Test
  void manyDdimStepsReachTheOdeLimit() throws Exception {
    // The probability-flow ODE keeps y / √(ᾱσ₀² + 1 − ᾱ) constant: x₀ = μ + σ₀·y_T / √(ᾱ_Tσ₀² + 1
    // − ᾱ_T).
    float[] f = features();
    float[] mu = mu(f, 1);
    DiffusionSampler s = sampler("ddim", 500, diffusion("eps", "linear", 0, 0), 1, false);
    float[] got = s.sample(twin(linear, "eps"), f, context(), 11, 0);
    double aT = linear.alphaBar(T - 1);
    float[] xT = CounterRng.normals(11, 0, 0, W * M);
    double sum = 0;
    for (int i = 0; i < got.length; i++) {
      double want =
          mu[i]
              + SIGMA0 * (xT[i] - Math.sqrt(aT) * mu[i]) / Math.sqrt(aT * SIGMA0 * SIGMA0 + 1 - aT);
      sum += Math.abs(got[i] - want);
    }
    assertThat(sum / got.length).isLessThan(0.01);
  }

  @Test
  void guidanceOfOneEqualsNoGuidanceAndGuidanceScalesTheCondition() throws Exception {
    float[] f = features();
    DiffusionSampler.Denoiser den = twin(linear, "eps");
    PackManifest.Diffusion d = diffusion("eps", "linear", 0.5, 0);
    int[] batches = new int[2];
    float[] plain =
        sampler("ddim", 8, d, 1, false)
            .sample(
                (b, x, t, ff) -> {
                  batches[0] = b;
                  return den.predict(b, x, t, ff);
                },
                f,
                context(),
                5,
                1);
    float[] guided =
        sampler("ddim", 8, d, 1, true)
            .sample(
                (b, x, t, ff) -> {
                  batches[1] = b;
                  return den.predict(b, x, t, ff);
                },
                f,
                context(),
                5,
                1);
    assertThat(batches).containsExactly(1, 2);
    assertThat(maxDiff(plain, guided)).isLessThan(1e-5f);
    // The null condition's μ is 0, so guidance g samples the condition's μ scaled by g.
    DiffusionSampler g3 = sampler("ddim", 8, diffusion("eps", "linear", 0, 0), 3, true);
    float[] got = g3.sample(den, f, context(), 5, 1);
    assertThat(maxDiff(got, ddimClosedForm(g3, linear, 8, mu(f, 3), 5, 1))).isLessThan(3e-3f);
    assertThat(maxDiff(got, ddimClosedForm(g3, linear, 8, mu(f, 1), 5, 1))).isGreaterThan(0.5f);
  }

  @Test
  void diffusionForcingStaggersMonotoneLevelsAndKeepsTheClosedForm() throws Exception {
    float[] f = features();
    DiffusionSampler.Denoiser den = twin(linear, "eps");
    PackManifest.Diffusion d =
        new PackManifest.Diffusion("eps", "linear", T, 1e-4, 0.02, 0, 0.2, 40, NULL, null, null);
    DiffusionSampler s = sampler("ddim", 10, d, 1, false);
    assertThat(s.iterations()).isEqualTo(10 + (int) Math.floor(99 * 0.2));
    List<float[]> levels = new ArrayList<>();
    float[] got =
        s.sample(
            (b, x, t, ff) -> {
              levels.add(t.clone());
              return den.predict(b, x, t, ff);
            },
            f,
            context(),
            9,
            2);
    assertThat(levels).hasSize(s.iterations());
    for (int i = 0; i < levels.size(); i++) {
      float[] t = levels.get(i);
      for (int c = 0; c < P; c++) {
        assertThat(t[c]).isEqualTo(40f);
      }
      for (int j = 1; j < W; j++) {
        assertThat(t[P + j]).as("iteration %d frame %d", i, j).isGreaterThanOrEqualTo(t[P + j - 1]);
      }
      if (i > 0) {
        for (int j = 0; j < W; j++) {
          assertThat(t[P + j]).isLessThanOrEqualTo(levels.get(i - 1)[P + j]);
        }
      }
    }
    // mid-way, the window's first frame is further along than its last
    float[] mid = levels.get(8);
    assertThat(mid[P]).isLessThan(mid[P + W - 1]);
    // every frame passes through the same levels, so DDIM's answer is unchanged
    assertThat(maxDiff(got, ddimClosedForm(s, linear, 10, mu(f, 1), 9, 2))).isLessThan(2e-3f);
  }

  @Test
  void ddpmSamplesHaveTheChainsMeanAndVariance() throws Exception {
    float[] f = features();
    float[] mu = mu(f, 1);
    int steps = 50;
    DiffusionSampler s = sampler("ddpm", steps, diffusion("eps", "linear", 0, 0), 1, false);
    double[] chain = chain(s, steps);
    double gain = chain[0];
    double variance = chain[1];
    // with as many steps as training steps the chain ends at the data distribution; with 50 it
    // ends a little narrower (the ancestral step uses the denoiser's mean of x₀, not its spread)
    DiffusionSampler full = sampler("ddpm", T, diffusion("eps", "linear", 0, 0), 1, false);
    assertThat(Math.sqrt(chain(full, T)[1])).isCloseTo(SIGMA0, within(0.005));
    assertThat(Math.sqrt(variance)).isCloseTo(SIGMA0, within(0.08));
    double aT = linear.alphaBar(T - 1);
    DiffusionSampler.Denoiser den = twin(linear, "eps");
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (int seed = 0; seed < 30; seed++) {
      float[] x = s.sample(den, f, context(), seed, 0);
      for (int i = 0; i < x.length; i++) {
        double expectedMean = mu[i] - gain * Math.sqrt(aT) * mu[i];
        double z = (x[i] - expectedMean) / Math.sqrt(variance);
        sum += z;
        sq += z * z;
        n++;
      }
    }
    double mean = sum / n;
    assertThat(mean).isCloseTo(0, within(0.01));
    assertThat(sq / n - mean * mean).isCloseTo(1, within(0.02));
  }

  @Test
  void samplesArePureFunctionsOfSeedAndWindow() throws Exception {
    float[] f = features();
    DiffusionSampler s = sampler("ddpm", 10, diffusion("v", "cosine", 0, 0.1), 2, true);
    DiffusionSampler.Denoiser den = twin(cosine, "v");
    float[] a = s.sample(den, f, context(), 3, 4);
    assertThat(s.sample(den, f, context(), 3, 4)).containsExactly(a);
    assertThat(maxDiff(a, s.sample(den, f, context(), 3, 5))).isGreaterThan(0.5f);
    assertThat(maxDiff(a, s.sample(den, f, context(), 4, 4))).isGreaterThan(0.5f);
  }

  /**
   * The ancestral chain on y = x − √ᾱ·μ: y' = c·y + √var·z per step; returns the product of the c
   * and the final variance, starting from y_T's variance 1.
   */
  static double[] chain(DiffusionSampler s, int steps) {
    double gain = 1;
    double variance = 1;
    double s2 = SIGMA0 * SIGMA0;
    for (int k = 0; k < steps; k++) {
      double a = linear.alphaBar(s.timestep(k));
      double next = linear.alphaBar(s.timestep(k + 1));
      double beta = 1 - a / next;
      double c =
          Math.sqrt(next) * beta / (1 - a) * Math.sqrt(a) * s2 / (a * s2 + 1 - a)
              + Math.sqrt(a / next) * (1 - next) / (1 - a);
      gain *= c;
      variance = c * c * variance + beta * (1 - next) / (1 - a);
    }
    return new double[] {gain, variance};
  }

  static float maxDiff(float[] a, float[] b) {
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }
}
