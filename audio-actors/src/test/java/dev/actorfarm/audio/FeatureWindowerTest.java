package dev.actorfarm.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureWindowerTest {

  private static final int W = 4;
  private static final int HOP = 10;
  private static final int BEHIND = 6;
  private static final int AHEAD = 3;

  private static List<float[]> cut(int total, int chunk, int windows) throws Exception {
    List<float[]> out = new ArrayList<>();
    List<Integer> indices = new ArrayList<>();
    FeatureWindower w =
        new FeatureWindower(
            W,
            HOP,
            BEHIND,
            AHEAD,
            (i, c) -> {
              indices.add(i);
              out.add(c);
            });
    float[] samples = new float[total];
    for (int i = 0; i < total; i++) {
      samples[i] = i + 1; // sample i has value i+1; 0 marks padding
    }
    for (int start = 0; start < total; start += chunk) {
      w.accept(FloatBuffer.wrap(samples, start, Math.min(chunk, total - start)));
    }
    w.finish(windows);
    for (int i = 0; i < indices.size(); i++) {
      assertThat(indices.get(i)).isEqualTo(i);
    }
    return out;
  }

  @Test
  void windowsCarryLookBehindAndAheadWithZerosOutsideTheAudio() throws Exception {
    // Given 95 samples (9.5 frames of 10 samples: 10 frames, 3 windows of 4)
    List<float[]> windows = cut(95, 7, 3);
    // Then three windows of behind + W*hop + ahead samples
    assertThat(windows).hasSize(3);
    for (float[] c : windows) {
      assertThat(c).hasSize(BEHIND + W * HOP + AHEAD);
    }
    // the first starts with look-behind zeros, then sample 0
    assertThat(windows.get(0)[BEHIND - 1]).isZero();
    assertThat(windows.get(0)[BEHIND]).isEqualTo(1f);
    // window 1 starts at sample 40 - 6 and ends 3 after sample 80
    assertThat(windows.get(1)[0]).isEqualTo(40 - BEHIND + 1);
    assertThat(windows.get(1)[BEHIND + W * HOP + AHEAD - 1]).isEqualTo(80 + AHEAD);
    // the last is padded with zeros after the audio
    float[] last = windows.get(2);
    assertThat(last[BEHIND + 94 - 80]).isEqualTo(95f);
    assertThat(last[BEHIND + 95 - 80]).isZero();
  }

  @Test
  void chunkingOfTheInputDoesNotChangeTheWindows() throws Exception {
    List<float[]> a = cut(333, 1, 9);
    List<float[]> b = cut(333, 64, 9);
    List<float[]> c = cut(333, 333, 9);
    assertThat(a).hasSize(9);
    for (int i = 0; i < a.size(); i++) {
      assertThat(b.get(i)).containsExactly(a.get(i));
      assertThat(c.get(i)).containsExactly(a.get(i));
    }
  }
}
