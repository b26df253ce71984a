package dev.actorfarm.motion.diffusion;

import ai.onnxruntime.OrtException;
import dev.actorfarm.motion.CounterRng;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.Arrays;

/**
 * The host side of a diffusion motion generator whose ONNX file is one denoiser step: it runs the
 * step over one window of W frames, with the P context frames (the motion before the window) in
 * front, and returns the window's clean motion (in the generator's normalised space).
 *
 * <ul>
 *   <li><b>Samplers.</b> "ddim" (Song et al.): x' = √ᾱ'·x̂₀ + √(1−ᾱ'−σ²)·ε̂ + σ·z with σ =
 *       η·√((1−ᾱ') /(1−ᾱ))·√(1−ᾱ/ᾱ'); η = 0 is deterministic. "ddpm" (Ho et al., ancestral): x'
 *       drawn from the posterior q(x' | x, x̂₀), mean √ᾱ'·β/(1−ᾱ)·x̂₀ + √(ᾱ/ᾱ')·(1−ᾱ')/(1−ᾱ)·x and
 *       variance β·(1−ᾱ')/(1−ᾱ), β = 1 − ᾱ/ᾱ'.
 *   <li><b>Predictions.</b> "eps" (ε̂), "x0" (x̂₀) or "v" (v = √ᾱ·ε − √(1−ᾱ)·x₀), each turned into
 *       the pair (x̂₀, ε̂).
 *   <li><b>Classifier-free guidance.</b> When guided, the condition and the null condition (every
 *       feature {@code nullFeature}) run as one batch of 2, and the prediction is p_null +
 *       g·(p_cond − p_null); with g = 1 that equals the unguided prediction.
 *   <li><b>Steps.</b> K sampling steps at training steps τ(k) = round((T−1)·(K−1−k)/(K−1)), k = 0 …
 *       K−1, then clean.
 *   <li><b>Diffusion forcing</b> (X-Actor): frame j starts ⌊j·stagger⌋ iterations after frame 0, so
 *       each iteration shows the denoiser rising noise levels across the window, and every frame's
 *       level falls monotonically. The context frames are shown at {@code contextLevel} (noised
 *       once per window).
 *   <li><b>Randomness.</b> Every draw is {@link CounterRng} at (seed, window, stream): stream 0 the
 *       starting noise x_T, stream 1 the context's noise, stream 2 + i iteration i's noise. A
 *       resumed job therefore samples exactly what an uninterrupted one did.
 * </ul>
 */
public final class DiffusionSampler {

  /** One denoiser step: x [B, P+W, M], timesteps [B, P+W], features [B, W, D] → [B, P+W, M]. */
  @FunctionalInterface
  public interface Denoiser {
    float[] predict(int batch, float[] x, float[] timesteps, float[] features) throws OrtException;
  }

  private final boolean ddpm;
  private final int steps;
  private final PackManifest.Diffusion d;
  private final NoiseSchedule schedule;
  private final int contextFrames;
  private final int windowFrames;
  private final int motionDim;
  private final double guidance;
  private final boolean guided;
  private final int[] offset;

  /**
   * @param sampler "ddim" or "ddpm"
   * @param guided whether to run the null condition (batch of 2) and mix with {@code guidance}
   */
  public DiffusionSampler(
      String sampler,
      int steps,
      PackManifest.Diffusion d,
      int contextFrames,
      int windowFrames,
      int motionDim,
      double guidance,
      boolean guided) {
    if (!sampler.equals("ddim") && !sampler.equals("ddpm")) {
      throw new IllegalArgumentException("diffusion sampler '" + sampler + "' is not ddim or ddpm");
    }
    this.ddpm = sampler.equals("ddpm");
    this.steps = steps;
    this.d = d;
    this.schedule = NoiseSchedule.of(d);
    this.contextFrames = contextFrames;
    this.windowFrames = windowFrames;
    this.motionDim = motionDim;
    this.guidance = guidance;
    this.guided = guided;
    this.offset = new int[windowFrames];
    for (int j = 0; j < windowFrames; j++) {
      offset[j] = (int) Math.floor(j * d.forcingStagger());
    }
  }

  public NoiseSchedule schedule() {
    return schedule;
  }

  /** Denoiser calls per window: K, plus the last frame's forcing offset. */
  public int iterations() {
    return steps + offset[windowFrames - 1];
  }

  /** The training step of sampling progress k (K = clean, −1). */
  public int timestep(int k) {
    if (k >= steps) {
      return -1;
    }
    int last = schedule.trainSteps() - 1;
    return steps == 1 ? last : (int) Math.round((double) last * (steps - 1 - k) / (steps - 1));
  }

  /** Frame j's sampling progress at iteration i, in [0, K]. */
  public int progress(int frame, int iteration) {
    return Math.max(0, Math.min(steps, iteration - offset[frame]));
  }

  /**
   * The window's motion, normalised: {@code features} [W × D], {@code context} [P × M] (normalised
   * motion of the frames before the window).
   */
  public float[] sample(Denoiser denoiser, float[] features, float[] context, long seed, int window)
      throws OrtException {
    int p = contextFrames;
    int w = windowFrames;
    int m = motionDim;
    int dim = features.length / w;
    float[] x = CounterRng.normals(seed, window, 0, w * m);
    float[] ctx = noisedContext(context, seed, window);
    float[] feats = features;
    if (guided) {
      feats = Arrays.copyOf(features, 2 * features.length);
      Arrays.fill(feats, features.length, feats.length, d.nullFeature());
    }
    int batch = guided ? 2 : 1;
    float[] in = new float[batch * (p + w) * m];
    float[] ts = new float[batch * (p + w)];
    for (int i = 0; i < iterations(); i++) {
      for (int b = 0; b < batch; b++) {
        System.arraycopy(ctx, 0, in, b * (p + w) * m, p * m);
        System.arraycopy(x, 0, in, (b * (p + w) + p) * m, w * m);
        for (int c = 0; c < p; c++) {
          ts[b * (p + w) + c] = d.contextLevel();
        }
        for (int j = 0; j < w; j++) {
          ts[b * (p + w) + p + j] = Math.max(0, timestep(progress(j, i)));
        }
      }
      float[] out = denoiser.predict(batch, in, ts, feats);
      if (out.length != batch * (p + w) * m) {
        throw new OrtException(
            "the denoiser returned " + out.length + " values, expected " + batch * (p + w) * m);
      }
      float[] z = CounterRng.normals(seed, window, 2 + i, w * m);
      for (int j = 0; j < w; j++) {
        int k = progress(j, i);
        if (i - offset[j] < 0 || k >= steps) {
          continue; // not started yet, or clean
        }
        double a = schedule.alphaBar(timestep(k));
        double next = schedule.alphaBar(timestep(k + 1));
        for (int c = 0; c < m; c++) {
          int at = j * m + c;
          int o = (p + j) * m + c;
          double pred = out[o];
          if (guided) {
            double nul = out[(p + w) * m + o];
            pred = nul + guidance * (pred - nul);
          }
          x[at] = (float) step(x[at], pred, a, next, z[at]);
        }
      }
    }
    return x;
  }

  /** One frame value's move from ᾱ = {@code a} to ᾱ' = {@code next}, given the prediction. */
  double step(double xt, double pred, double a, double next, double z) {
    double sa = Math.sqrt(a);
    double s1a = Math.sqrt(1 - a);
    double x0;
    double eps;
    switch (d.prediction()) {
      case "eps" -> {
        eps = pred;
        x0 = (xt - s1a * pred) / sa;
      }
      case "x0" -> {
        x0 = pred;
        eps = (xt - sa * pred) / s1a;
      }
      case "v" -> {
        x0 = sa * xt - s1a * pred;
        eps = s1a * xt + sa * pred;
      }
      default ->
          throw new IllegalArgumentException(
              "diffusion prediction '" + d.prediction() + "' is not eps, x0 or v");
    }
    if (ddpm) {
      double beta = 1 - a / next;
      double mean =
          Math.sqrt(next) * beta / (1 - a) * x0 + Math.sqrt(a / next) * (1 - next) / (1 - a) * xt;
      double var = beta * (1 - next) / (1 - a);
      return mean + Math.sqrt(Math.max(0, var)) * z;
    }
    double sigma = d.eta() * Math.sqrt((1 - next) / (1 - a)) * Math.sqrt(Math.max(0, 1 - a / next));
    return Math.sqrt(next) * x0
        + Math.sqrt(Math.max(0, 1 - next - sigma * sigma)) * eps
        + sigma * z;
  }

  /** The context at {@code contextLevel}: √ᾱ_c·context + √(1−ᾱ_c)·z, z from stream 1. */
  private float[] noisedContext(float[] context, long seed, int window) {
    double a = schedule.alphaBar(d.contextLevel());
    float[] z = CounterRng.normals(seed, window, 1, context.length);
    float[] out = new float[context.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (Math.sqrt(a) * context[i] + Math.sqrt(1 - a) * z[i]);
    }
    return out;
  }
}
