package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CounterRngTest {

  @Test
  void valuesArePureFunctionsOfSeedWindowAndIndex() {
    assertThat(CounterRng.normals(42, 7, 450)).containsExactly(CounterRng.normals(42, 7, 450));
    assertThat(CounterRng.normals(42, 7, 450)).isNotEqualTo(CounterRng.normals(42, 8, 450));
    assertThat(CounterRng.normals(42, 7, 450)).isNotEqualTo(CounterRng.normals(43, 7, 450));
    // a prefix does not depend on how many values are drawn
    float[] shortRun = CounterRng.normals(1, 3, 10);
    float[] longRun = CounterRng.normals(1, 3, 100);
    for (int i = 0; i < 10; i++) {
      assertThat(shortRun[i]).isEqualTo(longRun[i]);
    }
  }

  @Test
  void streamsAreIndependentAndStreamZeroIsTheWindowNoise() {
    assertThat(CounterRng.normals(42, 7, 0, 300)).containsExactly(CounterRng.normals(42, 7, 300));
    float[] a = CounterRng.normals(42, 7, 1, 20_000);
    float[] b = CounterRng.normals(42, 7, 2, 20_000);
    assertThat(a).isNotEqualTo(b);
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    // uncorrelated: |r| well below 4 standard errors (4 / sqrt(n) = 0.028)
    assertThat(dot / a.length).isCloseTo(0, within(0.028));
    assertThat(CounterRng.normals(42, 7, 2, 50)).containsExactly(CounterRng.normals(42, 7, 2, 50));
  }

  @Test
  void valuesAreStandardNormal() {
    float[] v = CounterRng.normals(9, 0, 200_000);
    double mean = 0;
    double sq = 0;
    int below = 0;
    for (float x : v) {
      mean += x;
      sq += x * x;
      if (x < -2.28f) {
        below++;
      }
    }
    mean /= v.length;
    double var = sq / v.length - mean * mean;
    assertThat(mean).isCloseTo(0, within(0.01));
    assertThat(var).isCloseTo(1, within(0.02));
    // the blink threshold's tail probability (0.0113)
    assertThat(below / (double) v.length).isCloseTo(0.0113, within(0.001));
  }
}
