package dev.actorfarm.motion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Relative driving of the reference pack's channels from face measures. */
class DrivingRetargeterTest {

  static final List<String> CHANNELS = List.of(dev.actorfarm.pack.ReferenceParameters.CHANNELS);

  static final List<Float> REST = List.of(0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
  static final int M = CHANNELS.size();

  /** A face: the given yaw, gap and eye aspect, at (300, 200) with eyes 60 px apart. */
  static float[] face(float yaw, float gap, float eye, boolean cut) {
    float[] r = new float[DrivingMeasures.K];
    r[DrivingMeasures.PRESENT] = 1;
    r[DrivingMeasures.CUT] = cut ? 1 : 0;
    r[DrivingMeasures.YAW] = yaw;
    r[DrivingMeasures.X_PX] = 300;
    r[DrivingMeasures.Y_PX] = 200;
    r[DrivingMeasures.IOD_PX] = 60;
    r[DrivingMeasures.MOUTH_GAP] = gap;
    r[DrivingMeasures.MOUTH_WIDTH] = 0.9f;
    r[DrivingMeasures.EYE_OPEN] = eye;
    r[DrivingMeasures.BROW] = 0.4f;
    return r;
  }

  static float[] run(DrivingRetargeter r, List<float[]> rows) {
    float[] in = new float[rows.size() * DrivingMeasures.K];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, in, i * DrivingMeasures.K, DrivingMeasures.K);
    }
    return r.retarget(in, rows.size());
  }

  @Test
  void thePortraitKeepsItsRestPoseAndTakesOnlyTheDriversChanges() {
    // Given a driver whose head is turned 0.3 rad at the anchor, then turns to 0.4 and holds
    DrivingRetargeter r = new DrivingRetargeter(CHANNELS, REST, 25, null);
    java.util.List<float[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      rows.add(face(i < 10 ? 0.3f : 0.4f, 0.02f, 0.3f, false));
    }
    float[] out = run(r, rows);
    // Then the portrait starts at rest and settles at the change, 0.1 rad
    assertThat(out[0]).isZero();
    assertThat(out[9 * M]).isZero();
    assertThat((double) out[99 * M]).isCloseTo(0.1, within(0.002));
    // and its mouth and lids stay at rest
    assertThat(out[99 * M + 5]).isZero();
    assertThat(out[99 * M + 7]).isZero();
  }

  @Test
  void theMouthOpensFromTheLeastOpenGapAndTheLidsCloseFromTheWidestEye() {
    DrivingRetargeter r = new DrivingRetargeter(CHANNELS, REST, 25, null);
    java.util.List<float[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(face(0, 0.05f, 0.3f, false)); // mouth slightly open at the anchor
    }
    for (int i = 0; i < 40; i++) {
      rows.add(face(0, 0.25f, 0.3f, false)); // wide open: 0.2 above the least open
    }
    for (int i = 0; i < 40; i++) {
      rows.add(face(0, 0.05f, 0.1f, false)); // closed again, eyes shut
    }
    float[] out = run(r, rows);
    assertThat((double) out[79 * M + 5]).isCloseTo(1.0, within(0.02));
    assertThat((double) out[119 * M + 5]).isCloseTo(0.0, within(0.02));
    assertThat((double) out[119 * M + 7]).isCloseTo(1.0, within(0.02));
  }

  @Test
  void aCutReanchorsWithoutAJumpAndTheOffsetFades() {
    DrivingRetargeter r = new DrivingRetargeter(CHANNELS, REST, 25, null);
    java.util.List<float[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(face(i < 5 ? 0f : 0.2f, 0.02f, 0.3f, false));
    }
    // A cut to another driver, turned the other way
    rows.add(face(-0.5f, 0.02f, 0.3f, true));
    for (int i = 0; i < 60; i++) {
      rows.add(face(-0.5f, 0.02f, 0.3f, false));
    }
    float[] out = run(r, rows);
    float before = out[49 * M];
    assertThat((double) before).isCloseTo(0.2, within(0.01));
    assertThat(out[50 * M]).as("no jump at the cut").isEqualTo(before);
    for (int i = 51; i < 111; i++) {
      assertThat(out[i * M]).as("fading, frame " + i).isLessThan(out[(i - 1) * M]).isPositive();
    }
    assertThat((double) out[110 * M]).isCloseTo(0, within(0.01));
  }

  @Test
  void aLostFaceHoldsThenEasesBackToRest() {
    DrivingRetargeter r = new DrivingRetargeter(CHANNELS, REST, 25, null);
    java.util.List<float[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      rows.add(face(i < 5 ? 0f : 0.2f, 0.02f, 0.3f, false));
    }
    for (int i = 0; i < 60; i++) {
      rows.add(new float[DrivingMeasures.K]);
    }
    float[] out = run(r, rows);
    float held = out[49 * M];
    for (int i = 50; i < 62; i++) {
      assertThat(out[i * M]).as("held, frame " + i).isEqualTo(held);
    }
    assertThat(out[80 * M]).isLessThan(held / 2);
    assertThat((double) out[109 * M]).isCloseTo(0, within(0.01));
  }

  @Test
  void theStateCarriesAJobAcrossARestartExactly() {
    java.util.List<float[]> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      rows.add(
          i % 37 == 20
              ? new float[DrivingMeasures.K]
              : face((float) Math.sin(i / 7.0) * 0.3f, 0.02f + (i % 5) * 0.03f, 0.3f, i == 60));
    }
    float[] straight = run(new DrivingRetargeter(CHANNELS, REST, 25, null), rows);
    DrivingRetargeter first = new DrivingRetargeter(CHANNELS, REST, 25, null);
    float[] a = run(first, rows.subList(0, 50));
    float[] b =
        run(new DrivingRetargeter(CHANNELS, REST, 25, first.state()), rows.subList(50, 100));
    float[] resumed = new float[straight.length];
    System.arraycopy(a, 0, resumed, 0, a.length);
    System.arraycopy(b, 0, resumed, a.length, b.length);
    assertThat(resumed).containsExactly(straight);
  }
}
