package dev.actorfarm.motion.diffusion;

import dev.actorfarm.runtime.pack.PackManifest;

/**
 * ᾱ_t, the cumulative signal fraction of a diffusion model's forward process, for its training
 * steps t = 0 … T−1: x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε.
 *
 * <ul>
 *   <li>"linear" (Ho et al., DDPM): β_t evenly spaced from betaStart to betaEnd, ᾱ_t = Π_{s≤t} (1 −
 *       β_s);
 *   <li>"cosine" (Nichol and Dhariwal, improved DDPM): ᾱ_t = f(t+1)/f(0) with f(u) = cos²((u/T +
 *       0.008)/1.008 · π/2), each β clipped at 0.999.
 * </ul>
 */
public final class NoiseSchedule {

  private static final double COSINE_OFFSET = 0.008;
  private static final double MAX_BETA = 0.999;

  private final double[] alphaBar;

  private NoiseSchedule(double[] alphaBar) {
    this.alphaBar = alphaBar;
  }

  /** The schedule a pack's diffusion block declares. */
  public static NoiseSchedule of(PackManifest.Diffusion d) {
    return switch (d.schedule()) {
      case "linear" -> linear(d.trainSteps(), d.betaStart(), d.betaEnd());
      case "cosine" -> cosine(d.trainSteps());
      default ->
          throw new IllegalArgumentException(
              "diffusion schedule '" + d.schedule() + "' is not linear or cosine");
    };
  }

  public static NoiseSchedule linear(int trainSteps, double betaStart, double betaEnd) {
    double[] a = new double[trainSteps];
    double prod = 1;
    for (int t = 0; t < trainSteps; t++) {
      double beta = betaStart + (betaEnd - betaStart) * t / Math.max(1, trainSteps - 1);
      prod *= 1 - beta;
      a[t] = prod;
    }
    return new NoiseSchedule(a);
  }

  public static NoiseSchedule cosine(int trainSteps) {
    double[] a = new double[trainSteps];
    double f0 = f(0, trainSteps);
    double prod = 1;
    for (int t = 0; t < trainSteps; t++) {
      double beta = Math.min(MAX_BETA, 1 - f(t + 1, trainSteps) / f(t, trainSteps));
      prod *= 1 - beta;
      a[t] = prod;
    }
    // equal to f(t+1)/f(0) wherever no β was clipped
    assert Math.abs(a[0] - f(1, trainSteps) / f0) < 1e-9;
    return new NoiseSchedule(a);
  }

  private static double f(double u, int trainSteps) {
    double c = Math.cos((u / trainSteps + COSINE_OFFSET) / (1 + COSINE_OFFSET) * Math.PI / 2);
    return c * c;
  }

  /** ᾱ at training step {@code t}; t < 0 is clean data (ᾱ = 1). */
  public double alphaBar(int t) {
    return t < 0 ? 1.0 : alphaBar[t];
  }

  public int trainSteps() {
    return alphaBar.length;
  }

  /** A copy of ᾱ_0 … ᾱ_{T−1}. */
  public double[] alphaBars() {
    return alphaBar.clone();
  }
}
