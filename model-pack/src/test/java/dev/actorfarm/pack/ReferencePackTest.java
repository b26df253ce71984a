package dev.actorfarm.pack;

import static dev.actorfarm.pack.ReferenceParameters.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pack's ONNX graphs against plain-Java implementations of the same math. */
class ReferencePackTest {

  @TempDir static Path dir;
  static ModelPack pack;
  static OrtEnvironment env;

  @BeforeAll
  static void generate() throws Exception {
    pack = ReferencePack.ensure(dir.resolve("pack"));
    env = OnnxSessions.environment();
  }

  private static OrtSession session(String file) throws Exception {
    return OnnxSessions.open(pack.file(file), "cpu", 1);
  }

  private static OnnxTensor tensor(float[] data, long... shape) throws Exception {
    return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
  }

  private static float[] run(OrtSession s, Map<String, OnnxTensor> in, String out)
      throws Exception {
    try (OrtSession.Result r = s.run(in)) {
      OnnxTensor t = (OnnxTensor) r.get(out).orElseThrow();
      FloatBuffer b = t.getFloatBuffer();
      float[] a = new float[b.remaining()];
      b.get(a);
      return a;
    }
  }

  @Test
  void manifestRoundTripsAndNamesEveryFile() throws Exception {
    ModelPack reloaded = ModelPack.load(pack.dir());
    assertThat(reloaded.manifest()).isEqualTo(ReferencePack.manifest());
    assertThat(reloaded.id()).isEqualTo("actorfarm-reference@" + ReferencePack.VERSION);
  }

  @Test
  void audioEncoderComputesLogMelLikeAPlainDft() throws Exception {
    // Given a two-tone signal with noise, padded with the pack's look-behind
    int frames = 12;
    int n = frames * HOP + LOOK_BEHIND + LOOK_AHEAD;
    float[] pcm = new float[n];
    Random rnd = new Random(7);
    for (int i = 0; i < n; i++) {
      double t = (double) i / SAMPLE_RATE;
      pcm[i] =
          (float)
              (0.3 * Math.sin(2 * Math.PI * 220 * t)
                  + 0.1 * Math.sin(2 * Math.PI * 1800 * t)
                  + 0.01 * rnd.nextGaussian());
    }
    // When the encoder runs
    float[] feats;
    try (OrtSession s = session("audio_encoder.onnx");
        OnnxTensor in = tensor(pcm, 1, n)) {
      feats = run(s, Map.of("pcm", in), "features");
    }
    // Then it yields one frame per video frame, equal to a direct DFT log-mel
    assertThat(feats).hasSize(frames * N_MELS);
    float[] hann = ReferencePack.hann(N_FFT);
    float[] fb = ReferencePack.melFilterBank();
    int bins = N_FFT / 2 + 1;
    for (int f = 0; f < frames; f++) {
      double[] power = new double[bins];
      for (int k = 0; k < bins; k++) {
        double re = 0;
        double im = 0;
        for (int i = 0; i < N_FFT; i++) {
          double x = pcm[f * HOP + i] * hann[i];
          double a = -2 * Math.PI * k * i / N_FFT;
          re += x * Math.cos(a);
          im += x * Math.sin(a);
        }
        power[k] = re * re + im * im;
      }
      for (int m = 0; m < N_MELS; m++) {
        double mel = 0;
        for (int k = 0; k < bins; k++) {
          mel += power[k] * fb[k * N_MELS + m];
        }
        double expected = Math.log(mel + LOG_FLOOR);
        assertThat((double) feats[f * N_MELS + m])
            .isCloseTo(expected, within(1e-2 + 1e-3 * Math.abs(expected)));
      }
    }
  }

  /** The generator's recurrences written step by step, as the graph's closed forms must equal. */
  private static float[] plainMotion(float[] feats, float[] ctx, float[] noise, float[] controls) {
    double[] ar = ReferencePack.arCoefficients();
    float[] sigma = ReferencePack.headSigma(ar);
    float[] out = new float[WINDOW * M];
    double[] h1 = new double[HEAD];
    double[] h2 = new double[HEAD];
    for (int j = 0; j < HEAD; j++) {
      h1[j] = ctx[M + j];
      h2[j] = ctx[j];
    }
    double[] y = {ctx[M + MOUTH_STATE], ctx[M + MOUTH_STATE + 1]};
    double emph = ctx[M + EMPHASIS];
    double[] sac = {ctx[M + SACCADE], ctx[M + SACCADE + 1]};
    double phase = ctx[M + BLINK_PHASE];
    double prevOpen = Double.NaN;
    for (int t = 0; t < WINDOW; t++) {
      float[] k = java.util.Arrays.copyOfRange(controls, t * C, t * C + C);
      double exprScale = k[ReferencePack.index("expression_scale")];
      double headScale = k[ReferencePack.index("head_motion_scale")];
      double lipSync = k[ReferencePack.index("lip_sync")];
      double prosody = k[ReferencePack.index("prosody")];
      double e = mean(feats, t, SPEECH_LO, SPEECH_HI);
      double tilt = mean(feats, t, F2_LO, F2_HI) - mean(feats, t, F1_LO, F1_HI);
      double open = clamp((e - ENERGY_CLOSED) / (ENERGY_OPEN - ENERGY_CLOSED), 0, 1);
      double spread = clamp((tilt - TILT_MID) * TILT_SCALE, -1, 1) * clamp(open * 3, 0, 1);
      double onset = t == 0 ? 0 : Math.max(0, open - prevOpen);
      prevOpen = open;
      double centroid = lowCentroid(feats, t);
      double move = t == 0 ? 0 : Math.abs(centroid - lowCentroid(feats, t - 1));
      double emphasisTarget =
          clamp(open * ENERGY_SHARE + PITCH_GAIN * move * clamp(open * 3, 0, 1), 0, 1);
      double de = emphasisTarget - emph;
      emph += (de > 0 ? EMPHASIS_ATTACK : EMPHASIS_RELEASE) * de;
      double animated = emph * prosody;
      double gate = open * (1 - HEAD_IDLE) * (1 + PROSODY_HEAD * animated) + HEAD_IDLE;
      for (int j = 0; j < HEAD; j++) {
        double exc =
            (noise[t * M + j] * sigma[j] * gate + (j == 1 ? NOD_GAIN * onset : 0)) * headScale;
        double h = ar[0] * h1[j] + ar[1] * h2[j] + exc;
        h2[j] = h1[j];
        h1[j] = h;
        out[t * M + j] = (float) h;
      }
      double[] target = {open * lipSync, spread * lipSync};
      for (int c = 0; c < 2; c++) {
        double d = target[c] - y[c];
        y[c] += (d > 0 ? ATTACK : RELEASE) * d;
        out[t * M + MOUTH_STATE + c] = (float) y[c];
      }
      double[] expr = new double[EXPRESSIONS + 2];
      for (int x = 0; x < expr.length; x++) {
        double v = x == 0 ? PROSODY_BROW * animated : 0;
        for (int em = 0; em < EMOTIONS; em++) {
          v += k[em] * EMOTION_EXPRESSIONS[em][x];
        }
        expr[x] = v * exprScale;
      }
      for (int x = 0; x < EXPRESSIONS; x++) {
        out[t * M + EXPRESSION + x] = (float) expr[x];
      }
      out[t * M + JAW] = (float) clamp(y[0] + expr[EXPRESSIONS], 0, 1);
      out[t * M + JAW + 1] = (float) clamp(y[1] + expr[EXPRESSIONS + 1], -1, 1);
      double u = 0.5 * (1 + erf(noise[t * M + BLINK_PHASE] / Math.sqrt(2)));
      boolean trig = u < k[ReferencePack.index("blink_rate")] / (60.0 * FPS);
      double allowed = phase <= 0 && trig ? 1 : 0;
      phase = Math.max(allowed, Math.max(0, phase - 1.0 / BLINK_FRAMES));
      out[t * M + 7] = (float) Math.sin(Math.PI * phase);
      out[t * M + BLINK_PHASE] = (float) phase;
      if (noise[t * M + SACCADE] < SACCADE_Z) {
        sac[0] = clamp(noise[t * M + GAZE] * SACCADE_X, -0.6, 0.6);
        sac[1] = clamp(noise[t * M + GAZE + 1] * SACCADE_Y, -0.6, 0.6);
      }
      out[t * M + SACCADE] = (float) sac[0];
      out[t * M + SACCADE + 1] = (float) sac[1];
      double wander = k[ReferencePack.index("gaze_wander")];
      out[t * M + GAZE] = (float) clamp(k[ReferencePack.index("gaze_x")] + wander * sac[0], -1, 1);
      out[t * M + GAZE + 1] =
          (float) clamp(k[ReferencePack.index("gaze_y")] + wander * sac[1], -1, 1);
      out[t * M + EMPHASIS] = (float) emph;
    }
    return out;
  }

  /** erf by Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7). */
  private static double erf(double x) {
    double t = 1 / (1 + 0.3275911 * Math.abs(x));
    double y =
        1
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592)
                * t
                * Math.exp(-x * x);
    return Math.signum(x) * y;
  }

  /** The centroid (in bands) of the lowest bands' power, a softmax of their log-mel. */
  private static double lowCentroid(float[] feats, int t) {
    double m = mean(feats, t, PITCH_LO, PITCH_HI);
    double num = 0;
    double den = 0;
    for (int b = PITCH_LO; b < PITCH_HI; b++) {
      double w = Math.exp(feats[t * N_MELS + b] - m);
      num += (b - PITCH_LO) * w;
      den += w;
    }
    return num / den;
  }

  private static double mean(float[] feats, int t, int lo, int hi) {
    double s = 0;
    for (int m = lo; m < hi; m++) {
      s += feats[t * N_MELS + m];
    }
    return s / (hi - lo);
  }

  private static double clamp(double x, double lo, double hi) {
    return Math.max(lo, Math.min(hi, x));
  }

  @Test
  void motionGeneratorEqualsTheStepByStepRecurrence() throws Exception {
    // Given speech-like features alternating loud and silent, a non-zero context and noise
    Random rnd = new Random(11);
    float[] feats = new float[WINDOW * N_MELS];
    for (int t = 0; t < WINDOW; t++) {
      float level = (t / 10) % 2 == 0 ? 1.5f : -14f;
      for (int m = 0; m < N_MELS; m++) {
        feats[t * N_MELS + m] = level + (float) rnd.nextGaussian() - m * 0.05f;
      }
    }
    float[] ctx = new float[CONTEXT * M];
    for (int i = 0; i < ctx.length; i++) {
      ctx[i] = (float) (0.05 * rnd.nextGaussian());
    }
    ctx[M + BLINK_PHASE] = 0.4f; // mid-blink
    ctx[M + EMPHASIS] = 0.3f;
    float[] noise = new float[WINDOW * M];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) rnd.nextGaussian();
    }
    noise[30 * M + BLINK_PHASE] = -3.5f; // a blink trigger
    noise[12 * M + SACCADE] = -2.5f; // a saccade
    // Controls that change within the window: happy easing to sad, the knobs off their defaults
    float[] controls = new float[WINDOW * C];
    for (int t = 0; t < WINDOW; t++) {
      float x = t / (WINDOW - 1f);
      controls[t * C] = 0.8f * (1 - x); // happy
      controls[t * C + 1] = 0.6f * x; // sad
      controls[t * C + ReferencePack.index("expression_scale")] = 1.2f;
      controls[t * C + ReferencePack.index("head_motion_scale")] = 0.8f;
      controls[t * C + ReferencePack.index("lip_sync")] = 1f;
      controls[t * C + ReferencePack.index("blink_rate")] = 17f;
      controls[t * C + ReferencePack.index("gaze_x")] = 0.3f;
      controls[t * C + ReferencePack.index("gaze_wander")] = 0.5f;
      controls[t * C + ReferencePack.index("prosody")] = 1f;
    }
    // When the graph runs
    float[] motion;
    try (OrtSession s = session("motion_generator.onnx");
        OnnxTensor f = tensor(feats, 1, WINDOW, N_MELS);
        OnnxTensor c = tensor(ctx, 1, CONTEXT, M);
        OnnxTensor z = tensor(noise, 1, WINDOW, M);
        OnnxTensor k = tensor(controls, 1, WINDOW, C)) {
      motion =
          run(s, Map.of("audio_features", f, "context", c, "noise", z, "controls", k), "motion");
    }
    // Then it equals the plain recurrence frame by frame
    float[] expected = plainMotion(feats, ctx, noise, controls);
    assertThat(motion).hasSize(WINDOW * M);
    for (int i = 0; i < motion.length; i++) {
      assertThat(motion[i])
          .as("frame %d channel %d", i / M, i % M)
          .isCloseTo(expected[i], within(2e-4f));
    }
    // and the mouth is open in the loud stretches, shut in the silent ones
    assertThat(motion[8 * M + JAW]).isGreaterThan(0.9f);
    assertThat(motion[19 * M + JAW]).isLessThan(0.05f);
    // and the mouth corners go from up (happy) to down (sad)
    assertThat(motion[2 * M + EXPRESSION + 3]).isGreaterThan(0.7f);
    assertThat(motion[48 * M + EXPRESSION + 3]).isLessThan(-0.5f);
    // and a blink happened after the trigger
    assertThat(motion[33 * M + 7]).isGreaterThan(0.5f);
  }

  /** The motion of one window of {@code feats} from rest, every control at its default. */
  private static float[] restMotion(float[] feats) throws Exception {
    float[] controls = new float[WINDOW * C];
    for (int t = 0; t < WINDOW; t++) {
      for (int c = 0; c < C; c++) {
        controls[t * C + c] =
            dev.actorfarm.runtime.direction.FarmControls.STANDARD.get(CONTROLS[c]).defaultValue();
      }
    }
    try (OrtSession s = session("motion_generator.onnx");
        OnnxTensor f = tensor(feats, 1, WINDOW, N_MELS);
        OnnxTensor c = tensor(new float[CONTEXT * M], 1, CONTEXT, M);
        OnnxTensor z = tensor(new float[WINDOW * M], 1, WINDOW, M);
        OnnxTensor k = tensor(controls, 1, WINDOW, C)) {
      return run(s, Map.of("audio_features", f, "context", c, "noise", z, "controls", k), "motion");
    }
  }

  @Test
  void expressivenessFollowsLoudnessAndPitchMovement() throws Exception {
    // Given three voices: quiet and level, loud and level, loud with its pitch moving (energy
    // shifting among the lowest bands from frame to frame, the same loudness)
    float[][] voices = new float[3][WINDOW * N_MELS];
    for (int t = 0; t < WINDOW; t++) {
      for (int m = 0; m < N_MELS; m++) {
        voices[0][t * N_MELS + m] = -5.5f;
        voices[1][t * N_MELS + m] = -1f;
        voices[2][t * N_MELS + m] = -1f;
      }
      voices[2][t * N_MELS + PITCH_LO + (t % 2 == 0 ? 1 : 4)] += 3f;
      voices[2][t * N_MELS + PITCH_LO + (t % 2 == 0 ? 4 : 1)] -= 3f;
    }
    float[] emphasis = new float[3];
    float[] brows = new float[3];
    for (int v = 0; v < 3; v++) {
      float[] motion = restMotion(voices[v]);
      emphasis[v] = motion[(WINDOW - 1) * M + EMPHASIS];
      brows[v] = motion[(WINDOW - 1) * M + EXPRESSION];
    }
    // Then the emphasis, and the brows with it, rise with loudness and rise again with pitch
    // movement
    assertThat(emphasis[1]).isGreaterThan(emphasis[0] + 0.1f);
    assertThat(emphasis[2]).isGreaterThan(emphasis[1] + 0.1f);
    assertThat(brows[2]).isGreaterThan(brows[1]).isGreaterThan(brows[0]);
    assertThat(brows[2]).isCloseTo(PROSODY_BROW * emphasis[2], within(1e-5f));
  }

  /** The calibration face's landmarks: eyes, nose tip, mouth centre, ear tragions. */
  static final float[] CALIBRATION = {
    -0.235f, -0.215f, 0.235f, -0.215f, 0f, 0.05f, 0f, 0.27f, -0.5f, -0.1f, 0.5f, -0.1f
  };

  /** A smaller face, low and to the right in the crop. */
  static final float[] ELSEWHERE = {
    0.0f, 0.05f, 0.3f, 0.05f, 0.15f, 0.2f, 0.15f, 0.35f, -0.15f, 0.1f, 0.45f, 0.1f
  };

  /** frames, alpha and grid of the renderer for one appearance, landmarks and motion batch. */
  private static float[][] render(float[] image, float[] landmarks, float[] motion)
      throws Exception {
    int n = CROP;
    try (OrtSession s = session("renderer.onnx");
        OnnxTensor a = tensor(image, 1, 3, n, n);
        OnnxTensor l = tensor(landmarks, 1, LANDMARKS, 2);
        OnnxTensor m = tensor(motion, motion.length / M, M);
        OrtSession.Result r = s.run(Map.of("appearance", a, "landmarks", l, "motion", m))) {
      return new float[][] {
        copy((OnnxTensor) r.get("frames").orElseThrow()),
        copy((OnnxTensor) r.get("alpha").orElseThrow()),
        copy((OnnxTensor) r.get("grid").orElseThrow())
      };
    }
  }

  private static int pixel(float u, float v) {
    int n = CROP;
    return (int) ((v + 1) / 2 * n) * n + (int) ((u + 1) / 2 * n);
  }

  @Test
  void rendererAtRestReproducesTheAppearanceAndWarpsOnlyTheFace() throws Exception {
    int n = CROP;
    float[] image = new float[3 * n * n];
    Random rnd = new Random(3);
    for (int i = 0; i < image.length; i++) {
      image[i] = (float) (0.5 + 0.4 * Math.sin(i * 0.01) + 0.05 * rnd.nextGaussian());
    }
    float[] motion = new float[3 * M];
    motion[M + 2] = 0.1f; // second frame: roll 0.1 rad
    motion[M + 5] = 1.0f; // and an open jaw
    for (int c = 0; c < 8; c++) {
      motion[2 * M + c] = c == 2 ? 0.3f : 1f; // third frame: every channel far out
    }
    float[][] out = render(image, CALIBRATION, motion);
    float[] frames = out[0];
    float[] alpha = out[1];
    float[] grid = out[2];
    // Rest pose: the grid is the identity, the frame is the appearance, nothing is pasted back
    float[] u = ReferencePack.baseGrid(n, true);
    float[] v = ReferencePack.baseGrid(n, false);
    for (int i = 0; i < n * n; i += 97) {
      assertThat(grid[2 * i]).isCloseTo(u[i], within(1e-5f));
      assertThat(grid[2 * i + 1]).isCloseTo(v[i], within(1e-5f));
      assertThat(alpha[i]).isZero();
    }
    for (int i = 0; i < 3 * n * n; i += 101) {
      assertThat(frames[i]).isCloseTo(Math.max(0, Math.min(1, image[i])), within(1e-4f));
    }
    // Rolled frame: at the face centre (midway between eye line and mouth) the grid is the
    // inverse rotation of the base grid about it, and the pixel is pasted back
    int off = n * n * 2;
    float faceV = (-0.215f + 0.27f) / 2;
    int centre = pixel(0.04f, faceV);
    double qu = u[centre];
    double qv = v[centre] - faceV;
    double su = Math.cos(0.1) * qu + Math.sin(0.1) * qv;
    double sv = Math.cos(0.1) * qv - Math.sin(0.1) * qu + faceV;
    assertThat((double) grid[off + 2 * centre]).isCloseTo(su, within(1e-4));
    assertThat((double) grid[off + 2 * centre + 1]).isCloseTo(sv, within(1e-4));
    assertThat(alpha[n * n + centre]).isEqualTo(1f);
    // and, however far the motion goes, the paste-back feather (beyond 0.8) is the identity
    for (int f = 1; f < 3; f++) {
      for (int i = 0; i < n * n; i++) {
        if (Math.max(Math.abs(u[i]), Math.abs(v[i])) >= WARP_EDGE) {
          assertThat(grid[f * off + 2 * i]).isEqualTo(u[i]);
          assertThat(grid[f * off + 2 * i + 1]).isEqualTo(v[i]);
          assertThat(alpha[f * n * n + i]).isZero();
        }
      }
    }
    // and the open mouth is darker than at rest, at the landmarks' mouth
    assertThat(darkening(frames, 0f, 0.27f + 0.02f)).isGreaterThan(0.3);
  }

  /** How much darker frame 1 is than frame 0 at (u, v), as a fraction. */
  private static double darkening(float[] frames, float u, float v) {
    int n = CROP;
    int p = pixel(u, v);
    int f1 = 3 * n * n;
    double rest = frames[p] + frames[n * n + p] + frames[2 * n * n + p];
    double open = frames[f1 + p] + frames[f1 + n * n + p] + frames[f1 + 2 * n * n + p];
    return 1 - open / rest;
  }

  @Test
  void theMouthAndEyesAreWhereTheLandmarksSay() throws Exception {
    int n = CROP;
    float[] image = new float[3 * n * n];
    java.util.Arrays.fill(image, 0.8f);
    float[] motion = new float[2 * M];
    motion[M + 5] = 1.0f; // an open jaw
    // Given another face's landmarks, the inner mouth opens at its mouth, not the calibration's
    float[] frames = render(image, ELSEWHERE, motion)[0];
    float k = 0.3f / IOD_REF;
    assertThat(darkening(frames, 0.15f, 0.35f + 0.02f * k)).isGreaterThan(0.3);
    assertThat(darkening(frames, 0f, 0.27f + 0.02f)).isLessThan(0.01);
  }

  @Test
  void theHeadMovesInProportionToTheFace() throws Exception {
    int n = CROP;
    float[] image = new float[3 * n * n];
    java.util.Arrays.fill(image, 0.5f);
    float[] motion = new float[2 * M];
    motion[M + 3] = 0.02f; // second frame: the head shifted right by 0.02 (calibration face)
    for (float[] face : new float[][] {CALIBRATION, ELSEWHERE}) {
      float[] grid = render(image, face, motion)[2];
      float k = (face[2] - face[0]) / IOD_REF;
      float faceU = ((face[0] + face[2]) / 2 + face[6]) / 2;
      float faceV = ((face[1] + face[3]) / 2 + face[7]) / 2;
      int centre = pixel(faceU, faceV);
      float[] u = ReferencePack.baseGrid(n, true);
      // the face centre shows what was 0.02 k to its left: a shift of 2% of this face's size
      double shift = u[centre] - grid[2 * n * n + 2 * centre];
      assertThat(shift).isCloseTo(0.02 * k, within(1e-4));
    }
  }

  /**
   * {@code face}'s landmarks turned by {@code degrees} about the midpoint of its eyes and mouth.
   */
  static float[] turned(float[] face, double degrees) {
    double a = Math.toRadians(degrees);
    double cu = ((face[0] + face[2]) / 2 + face[6]) / 2;
    double cv = ((face[1] + face[3]) / 2 + face[7]) / 2;
    float[] out = new float[face.length];
    for (int i = 0; i < face.length; i += 2) {
      double du = face[i] - cu;
      double dv = face[i + 1] - cv;
      out[i] = (float) (cu + Math.cos(a) * du - Math.sin(a) * dv);
      out[i + 1] = (float) (cv + Math.sin(a) * du + Math.cos(a) * dv);
    }
    return out;
  }

  @Test
  void expressionsMoveAlongTheFacesOwnUpOnATiltedFace() throws Exception {
    int n = CROP;
    float[] image = new float[3 * n * n];
    java.util.Arrays.fill(image, 0.5f);
    for (float[] face :
        new float[][] {CALIBRATION, turned(CALIBRATION, 20), turned(ELSEWHERE, -15)}) {
      float iod = (float) Math.hypot(face[2] - face[0], face[3] - face[1]);
      float k = iod / IOD_REF;
      float xu = (face[2] - face[0]) / iod;
      float xv = (face[3] - face[1]) / iod;
      float yu = -xv;
      float yv = xu;
      // Given the mouth corners raised fully, then the brows
      float[] motion = new float[3 * M];
      motion[M + EXPRESSION + 3] = 1f;
      motion[2 * M + EXPRESSION] = 1f;
      float[] grid = render(image, face, motion)[2];
      // Then at the right corner the grid samples from below along the face's own down (content
      // moves up) and from inside along its eye line (the corner is drawn out)
      float cu = face[6] + CORNER_OFFSET * k * xu;
      float cv = face[7] + CORNER_OFFSET * k * xv;
      double[] d = offset(grid, 1, cu, cv);
      assertThat(d[0])
          .isCloseTo(k * (CORNER_TRAVEL * yu - CORNER_OUT * xu), within(0.15 * CORNER_TRAVEL * k));
      assertThat(d[1])
          .isCloseTo(k * (CORNER_TRAVEL * yv - CORNER_OUT * xv), within(0.15 * CORNER_TRAVEL * k));
      // and above the left eye the brows are raised along the face's up
      float bu = face[0] - BROW_UP * k * yu;
      float bv = face[1] - BROW_UP * k * yv;
      double[] b = offset(grid, 2, bu, bv);
      assertThat(b[0]).isCloseTo(k * BROW_TRAVEL * yu, within(0.15 * BROW_TRAVEL * k));
      assertThat(b[1]).isCloseTo(k * BROW_TRAVEL * yv, within(0.15 * BROW_TRAVEL * k));
      // and the rest frame is not moved there
      assertThat(offset(grid, 0, cu, cv)[1]).isCloseTo(0, within(1e-6));
    }
  }

  /** The grid's offset from the identity at (u, v) in batch item {@code b}, interpolated. */
  private static double[] offset(float[] grid, int b, float u, float v) {
    int n = CROP;
    double x = (u + 1) * n / 2 - 0.5;
    double y = (v + 1) * n / 2 - 0.5;
    int x0 = (int) Math.floor(x);
    int y0 = (int) Math.floor(y);
    double fx = x - x0;
    double fy = y - y0;
    double[] out = new double[2];
    float[] bu = ReferencePack.baseGrid(n, true);
    float[] bv = ReferencePack.baseGrid(n, false);
    for (int c = 0; c < 2; c++) {
      double s = 0;
      for (int j = 0; j < 2; j++) {
        for (int i = 0; i < 2; i++) {
          int p = (y0 + j) * n + x0 + i;
          double w = (i == 0 ? 1 - fx : fx) * (j == 0 ? 1 - fy : fy);
          s += w * (grid[b * n * n * 2 + p * 2 + c] - (c == 0 ? bu[p] : bv[p]));
        }
      }
      out[c] = s;
    }
    return out;
  }

  private static float[] copy(OnnxTensor t) throws Exception {
    FloatBuffer b = t.getFloatBuffer();
    float[] a = new float[b.remaining()];
    b.get(a);
    return a;
  }

  @Test
  void aClosedLidChangesTheEyesAndNothingBelowThem() throws Exception {
    int n = CROP;
    float[] image = new float[3 * n * n];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          image[c * n * n + y * n + x] =
              (float) (0.5 + 0.4 * Math.sin(y * 0.3) * Math.cos(x * 0.05));
        }
      }
    }
    float[] motion = new float[2 * M];
    motion[M + 7] = 1f; // second frame: eyelids closed
    for (float[] face : new float[][] {CALIBRATION, ELSEWHERE}) {
      float[] frames = render(image, face, motion)[0];
      int off = 3 * n * n;
      double eyes = 0;
      double mouth = 0;
      int count = 0;
      int ey = (int) ((face[1] + 1) / 2 * n);
      int ex = (int) ((face[0] + 1) / 2 * n);
      int my = (int) ((face[7] + 1) / 2 * n);
      int mx = (int) ((face[6] + 1) / 2 * n);
      for (int dy = -3; dy <= 3; dy++) {
        for (int dx = -6; dx <= 6; dx++) {
          int e = (ey + dy) * n + ex + dx;
          int m = (my + dy) * n + mx + dx;
          eyes += Math.abs(frames[off + e] - frames[e]);
          mouth += Math.abs(frames[off + m] - frames[m]);
          count++;
        }
      }
      assertThat(eyes / count).isGreaterThan(0.1);
      assertThat(mouth / count).isLessThan(1e-4);
    }
  }

  @Test
  void askingForCudaFallsBackToTheCpuWithTheSameResults() throws Exception {
    // This build carries the CPU onnxruntime: the CUDA request must degrade, not fail.
    float[] pcm = new float[LOOK_BEHIND + 3 * HOP];
    for (int i = 0; i < pcm.length; i++) {
      pcm[i] = (float) Math.sin(i * 0.05);
    }
    float[] cpu;
    float[] cuda;
    try (OrtSession s = OnnxSessions.open(pack.file("audio_encoder.onnx"), "cpu", 1);
        OnnxTensor in = tensor(pcm, 1, pcm.length)) {
      cpu = run(s, Map.of("pcm", in), "features");
    }
    try (OrtSession s = OnnxSessions.open(pack.file("audio_encoder.onnx"), "cuda", 1);
        OnnxTensor in = tensor(pcm, 1, pcm.length)) {
      cuda = run(s, Map.of("pcm", in), "features");
    }
    assertThat(cuda).containsExactly(cpu);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> OnnxSessions.open(pack.file("audio_encoder.onnx"), "tpu", 1))
        .hasMessageContaining("unknown execution provider");
  }
}
