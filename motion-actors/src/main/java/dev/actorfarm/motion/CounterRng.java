package dev.actorfarm.motion;

/**
 * A counter-based normal RNG: value {@code i} of window {@code w} of a job seeded {@code s} is a
 * pure function of {@code (s, w, i)} (SplitMix64 finalizer as the hash, Box-Muller for the normal).
 * Resuming at any window, on any node, in any order reproduces the same noise, which is what makes
 * a resumed job's frames equal an uninterrupted run's.
 */
public final class CounterRng {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private CounterRng() {}

  /**
   * {@code count} standard normal values of window {@code window} of the job seeded {@code seed}.
   */
  public static float[] normals(long seed, int window, int count) {
    return normals(seed, window, 0, count);
  }

  /**
   * {@code count} standard normal values of stream {@code stream} of window {@code window}: a
   * diffusion sampler draws its starting noise, its context noise and each step's noise from
   * streams of their own, so every value is a function of (seed, window, stream, index). Stream 0
   * is {@link #normals(long, int, int)}.
   */
  public static float[] normals(long seed, int window, int stream, int count) {
    float[] out = new float[count];
    long base = mix(seed ^ mix(window * GOLDEN + 0x632BE59BD9B4E019L));
    if (stream != 0) {
      base = mix(base ^ mix(stream * GOLDEN + 0x2545F4914F6CDD1DL));
    }
    for (int i = 0; i < count; i += 2) {
      double u1 = toUnit(mix(base + (long) i * GOLDEN));
      double u2 = toUnit(mix(base + (long) (i + 1) * GOLDEN));
      double r = Math.sqrt(-2 * Math.log(u1));
      out[i] = (float) (r * Math.cos(2 * Math.PI * u2));
      if (i + 1 < count) {
        out[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
      }
    }
    return out;
  }

  /** Uniform in (0, 1], never 0 so that the log above is finite. */
  private static double toUnit(long bits) {
    return ((bits >>> 11) + 1) * 0x1.0p-53;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
