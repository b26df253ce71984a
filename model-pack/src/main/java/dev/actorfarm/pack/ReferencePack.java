package dev.actorfarm.pack;

import static dev.actorfarm.pack.ReferenceParameters.*;

import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tribuo.util.onnx.ONNXRef;

/**
 * Generates the reference model pack: four real ONNX graphs built in Java, with parametric
 * (hand-set, documented) weights instead of learned ones. See model-pack/README.md.
 */
public final class ReferencePack {

  public static final String NAME = "actorfarm-reference";

  /** Bump when a graph or parameter changes, so that packs generated earlier are rebuilt. */
  public static final String VERSION = "2.0.0";

  private ReferencePack() {}

  /** Loads the reference pack from {@code dir}, generating it there first if absent or stale. */
  public static ModelPack ensure(Path dir) throws IOException {
    Path manifest = dir.resolve(ModelPack.MANIFEST);
    if (Files.isRegularFile(manifest)) {
      ModelPack existing = ModelPack.load(dir);
      if (existing.manifest().name().equals(NAME)
          && existing.manifest().version().equals(VERSION)) {
        return existing;
      }
    }
    Files.createDirectories(dir.getParent());
    Path tmp = Files.createTempDirectory(dir.getParent(), ".pack-");
    generate(tmp);
    if (Files.exists(dir)) {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    return ModelPack.load(dir);
  }

  /**
   * Loads the pack in {@code dir}; a format 2 pack that borrows the reference's stages gets them
   * from the reference pack in {@code referenceDir}, generated there first when needed.
   */
  public static ModelPack load(Path dir, Path referenceDir) throws IOException {
    return ModelPack.load(
        dir, ModelPack.borrows(ModelPack.parse(dir)) ? ensure(referenceDir).dir() : null);
  }

  /** Writes the pack's graphs, manifest and README into {@code dir}. */
  public static void generate(Path dir) throws IOException {
    generate(dir, CROP);
  }

  /**
   * Writes a variant of the pack whose face crop (source encoder and renderer resolution) is {@code
   * crop} pixels square instead of {@value ReferenceParameters#CROP}: what the benchmarks use to
   * measure rendering at other resolutions. Its version says the crop, so it is another pack.
   */
  public static void generate(Path dir, int crop) throws IOException {
    Files.createDirectories(dir);
    PackManifest m = manifest(crop);
    audioEncoder(m.audioEncoder()).write(dir.resolve(m.audioEncoder().file()), "log-mel encoder");
    motionGenerator(m.motionGenerator())
        .write(dir.resolve(m.motionGenerator().file()), "parametric AR motion generator");
    sourceEncoder(m.sourceEncoder())
        .write(dir.resolve(m.sourceEncoder().file()), "crop appearance");
    renderer(m.renderer()).write(dir.resolve(m.renderer().file()), "GridSample warping renderer");
    try (InputStream readme =
        ReferencePack.class.getResourceAsStream("/reference-pack/README.md")) {
      if (readme != null) {
        Files.copy(readme, dir.resolve("README.md"), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    ModelPack.writeManifest(dir, m);
  }

  /** The reference pack's manifest. */
  public static PackManifest manifest() {
    return manifest(CROP);
  }

  private static PackManifest manifest(int crop) {
    List<Float> rest = new ArrayList<>();
    for (int i = 0; i < M; i++) {
      rest.add(0f);
    }
    return new PackManifest(
        PackManifest.FORMAT_VERSION,
        NAME,
        crop == CROP ? VERSION : VERSION + "-crop" + crop,
        "Parametric reference pack: log-mel features, a hand-set autoregressive motion process,"
            + " a GridSample warping renderer. No learned weights.",
        FPS,
        new PackManifest.AudioEncoder(
            "audio_encoder.onnx",
            SAMPLE_RATE,
            HOP,
            LOOK_BEHIND,
            LOOK_AHEAD,
            N_MELS,
            Map.of("pcm", spec("pcm", 1, -1)),
            Map.of("features", spec("features", 1, -1, N_MELS))),
        new PackManifest.MotionGenerator(
            "motion_generator.onnx",
            WINDOW,
            CONTEXT,
            M,
            List.of(CHANNELS),
            rest,
            controls(),
            "single-pass",
            1,
            0f,
            Map.of(
                "audio_features", spec("audio_features", 1, WINDOW, N_MELS),
                "context", spec("context", 1, CONTEXT, M),
                "noise", spec("noise", 1, WINDOW, M),
                "controls", spec("controls", 1, WINDOW, C)),
            Map.of("motion", spec("motion", 1, WINDOW, M))),
        new PackManifest.SourceEncoder(
            "source_encoder.onnx",
            crop,
            CROP_SCALE,
            CROP_SHIFT_Y,
            Map.of(
                "image", spec("image", 1, 3, crop, crop),
                "landmarks", spec("landmarks", 1, LANDMARKS, 2)),
            Map.of(
                "appearance", spec("appearance", 1, 3, crop, crop),
                "landmarks", spec("face_landmarks", 1, LANDMARKS, 2))),
        new PackManifest.Renderer(
            "renderer.onnx",
            MAX_BATCH,
            crop,
            crop,
            Map.of(
                "appearance", spec("appearance", 1, 3, crop, crop),
                "landmarks", spec("landmarks", 1, LANDMARKS, 2),
                "motion", spec("motion", -1, M)),
            Map.of(
                "frames", spec("frames", -1, 3, crop, crop),
                "alpha", spec("alpha", -1, 1, crop, crop),
                "grid", spec("grid", -1, crop, crop, 2))));
  }

  /** The generator's controls with the farm's ranges and defaults. */
  private static List<PackManifest.Control> controls() {
    List<PackManifest.Control> out = new ArrayList<>();
    for (String c : CONTROLS) {
      out.add(dev.actorfarm.runtime.direction.FarmControls.resolve(PackManifest.Control.named(c)));
    }
    return out;
  }

  private static TensorSpec spec(String name, long... shape) {
    List<Long> s = new ArrayList<>();
    for (long d : shape) {
      s.add(d);
    }
    return new TensorSpec(name, "float32", s);
  }

  // ------------------------------------------------------------------------------------------
  // Audio encoder: pcm [1, N] -> STFT (hann 1024, hop 640) -> power -> mel [40] -> log.

  static Graph audioEncoder(PackManifest.AudioEncoder s) {
    Graph g = new Graph("audio_encoder");
    ONNXRef<?> pcm = g.input(s.inputs().get("pcm"));
    ONNXRef<?> signal = g.unsqueeze(pcm, 2); // [1, N, 1]
    ONNXRef<?> stft =
        g.op(
            OnnxOp.STFT,
            Map.of("onesided", 1),
            signal,
            g.longs(new long[] {HOP}),
            g.tensor(hann(N_FFT), N_FFT),
            g.longs(new long[] {N_FFT})); // [1, T, 513, 2]
    ONNXRef<?> power =
        g.op(OnnxOp.REDUCE_SUM, Map.of("keepdims", 0), g.mul(stft, stft), g.longs(new long[] {3}));
    ONNXRef<?> mel = g.op(OnnxOp.MATMUL, power, g.tensor(melFilterBank(), N_FFT / 2 + 1, N_MELS));
    ONNXRef<?> logMel = g.op(OnnxOp.LOG, g.add(mel, LOG_FLOOR));
    g.output(s.outputs().get("features"), logMel);
    return g;
  }

  /** Periodic Hann window of {@code n} samples. */
  public static float[] hann(int n) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (0.5 - 0.5 * Math.cos(2 * Math.PI * i / n));
    }
    return w;
  }

  /** Triangular HTK-mel filter bank, {@code [N_FFT/2+1, N_MELS]} row-major, unit peaks. */
  public static float[] melFilterBank() {
    int bins = N_FFT / 2 + 1;
    double melLo = hzToMel(F_MIN);
    double melHi = hzToMel(F_MAX);
    double[] edges = new double[N_MELS + 2];
    for (int i = 0; i < edges.length; i++) {
      edges[i] = melToHz(melLo + (melHi - melLo) * i / (N_MELS + 1));
    }
    float[] fb = new float[bins * N_MELS];
    for (int k = 0; k < bins; k++) {
      double f = (double) k * SAMPLE_RATE / N_FFT;
      for (int m = 0; m < N_MELS; m++) {
        double lo = edges[m];
        double mid = edges[m + 1];
        double hi = edges[m + 2];
        double w =
            f <= lo || f >= hi ? 0 : f <= mid ? (f - lo) / (mid - lo) : (hi - f) / (hi - mid);
        fb[k * N_MELS + m] = (float) w;
      }
    }
    return fb;
  }

  private static double hzToMel(double hz) {
    return 2595 * Math.log10(1 + hz / 700);
  }

  private static double melToHz(double mel) {
    return 700 * (Math.pow(10, mel / 2595) - 1);
  }

  // ------------------------------------------------------------------------------------------
  // Motion generator.

  static Graph motionGenerator(PackManifest.MotionGenerator s) {
    Graph g = new Graph("motion_generator");
    ONNXRef<?> feats = g.input(s.inputs().get("audio_features")); // [1, W, D]
    ONNXRef<?> context = g.input(s.inputs().get("context")); // [1, P, M]
    ONNXRef<?> noise = g.input(s.inputs().get("noise")); // [1, W, M]
    ONNXRef<?> controls = g.input(s.inputs().get("controls")); // [1, W, C]
    ONNXRef<?> emotions = g.slice(controls, 2, 0, EMOTIONS); // [1, W, 7]
    ONNXRef<?> exprScale = control(g, controls, "expression_scale"); // [1, W, 1]
    ONNXRef<?> headScale = control(g, controls, "head_motion_scale");
    ONNXRef<?> lipSync = control(g, controls, "lip_sync");
    ONNXRef<?> blinkRate = control(g, controls, "blink_rate");
    ONNXRef<?> prosody = control(g, controls, "prosody");
    ONNXRef<?> last = g.slice(context, 1, CONTEXT - 1, CONTEXT); // [1, 1, M]

    ONNXRef<?> energy = bandMean(g, feats, SPEECH_LO, SPEECH_HI); // [1, W, 1]
    ONNXRef<?> tilt =
        g.sub(bandMean(g, feats, F2_LO, F2_HI), bandMean(g, feats, F1_LO, F1_HI)); // [1, W, 1]
    ONNXRef<?> openTarget =
        g.clip(g.mul(g.add(energy, -ENERGY_CLOSED), 1f / (ENERGY_OPEN - ENERGY_CLOSED)), 0f, 1f);
    ONNXRef<?> spreadTarget =
        g.mul(
            g.clip(g.mul(g.add(tilt, -TILT_MID), TILT_SCALE), -1f, 1f),
            g.clip(g.mul(openTarget, 3f), 0f, 1f));
    ONNXRef<?> mouthTarget = g.mul(g.concat(2, openTarget, spreadTarget), lipSync); // [1, W, 2]

    // Emphasis target: half the loudness plus the pitch movement while voiced (the centroid of the
    // lowest bands, a softmax over them, moving frame to frame).
    ONNXRef<?> low = g.slice(feats, 2, PITCH_LO, PITCH_HI); // [1, W, B]
    ONNXRef<?> lowW =
        g.op(
            OnnxOp.EXP,
            g.sub(
                low, g.op(OnnxOp.REDUCE_MEAN, Map.of("axes", new int[] {2}, "keepdims", 1), low)));
    float[] bandIndex = new float[PITCH_HI - PITCH_LO];
    float[] ones = new float[PITCH_HI - PITCH_LO];
    for (int b = 0; b < bandIndex.length; b++) {
      bandIndex[b] = b;
      ones[b] = 1;
    }
    ONNXRef<?> centroid =
        g.div(
            g.op(OnnxOp.MATMUL, lowW, g.tensor(bandIndex, bandIndex.length, 1)),
            g.op(OnnxOp.MATMUL, lowW, g.tensor(ones, ones.length, 1))); // [1, W, 1]
    ONNXRef<?> pitchMove =
        g.op(
            OnnxOp.ABS,
            g.sub(
                centroid,
                g.concat(1, g.slice(centroid, 1, 0, 1), g.slice(centroid, 1, 0, WINDOW - 1))));
    ONNXRef<?> voiced = g.clip(g.mul(openTarget, 3f), 0f, 1f);
    ONNXRef<?> emphasisTarget =
        g.clip(
            g.add(g.mul(openTarget, ENERGY_SHARE), g.mul(g.mul(pitchMove, voiced), PITCH_GAIN)),
            0f,
            1f); // [1, W, 1]

    // Mouth: attack/release followers, unrolled over the window; the emphasis follows its target
    // the same way, slowly.
    ONNXRef<?> y = g.slice(last, 2, MOUTH_STATE, MOUTH_STATE + 2); // [1,1,2]
    ONNXRef<?> e = g.slice(last, 2, EMPHASIS, EMPHASIS + 1); // [1,1,1]
    ONNXRef<?> zero = g.scalar(0f);
    ONNXRef<?> attack = g.scalar(ATTACK);
    ONNXRef<?> release = g.scalar(RELEASE);
    ONNXRef<?> emphasisAttack = g.scalar(EMPHASIS_ATTACK);
    ONNXRef<?> emphasisRelease = g.scalar(EMPHASIS_RELEASE);
    ONNXRef<?>[] mouth = new ONNXRef<?>[WINDOW];
    ONNXRef<?>[] emphasis = new ONNXRef<?>[WINDOW];
    // Blink: phase s falls from 1 to 0 over BLINK_FRAMES; a new blink may start only at s = 0, when
    // the channel's noise as a uniform draw falls below the rate per frame.
    ONNXRef<?> uniform =
        g.mul(
            g.add(
                g.op(
                    OnnxOp.ERF,
                    g.mul(g.slice(noise, 2, BLINK_PHASE, BLINK_PHASE + 1), (float) Math.sqrt(0.5))),
                1f),
            0.5f);
    ONNXRef<?> trig =
        g.op(
            OnnxOp.WHERE,
            g.op(OnnxOp.LESS, uniform, g.mul(blinkRate, 1f / (60f * FPS))),
            g.scalar(1f),
            zero); // [1, W, 1]
    ONNXRef<?> phase = g.slice(last, 2, BLINK_PHASE, BLINK_PHASE + 1); // [1,1,1]
    ONNXRef<?>[] phases = new ONNXRef<?>[WINDOW];
    // Saccades: the wandering gaze's target jumps now and then and holds between.
    ONNXRef<?> saccade =
        g.op(OnnxOp.LESS, g.slice(noise, 2, SACCADE, SACCADE + 1), g.scalar(SACCADE_Z));
    ONNXRef<?> saccadeTo =
        g.clip(
            g.mul(
                g.slice(noise, 2, GAZE, GAZE + 2),
                g.tensor(new float[] {SACCADE_X, SACCADE_Y}, 1, 1, 2)),
            -0.6f,
            0.6f); // [1, W, 2]
    ONNXRef<?> gazeState = g.slice(last, 2, SACCADE, SACCADE + 2); // [1,1,2]
    ONNXRef<?>[] gazes = new ONNXRef<?>[WINDOW];
    for (int t = 0; t < WINDOW; t++) {
      ONNXRef<?> d = g.sub(g.slice(mouthTarget, 1, t, t + 1), y);
      ONNXRef<?> rate = g.op(OnnxOp.WHERE, g.op(OnnxOp.GREATER, d, zero), attack, release);
      y = g.add(y, g.mul(rate, d));
      mouth[t] = y;
      ONNXRef<?> de = g.sub(g.slice(emphasisTarget, 1, t, t + 1), e);
      e =
          g.add(
              e,
              g.mul(
                  g.op(
                      OnnxOp.WHERE,
                      g.op(OnnxOp.GREATER, de, zero),
                      emphasisAttack,
                      emphasisRelease),
                  de));
      emphasis[t] = e;
      ONNXRef<?> allowed =
          g.op(
              OnnxOp.WHERE,
              g.op(OnnxOp.LESS_OR_EQUAL, phase, zero),
              g.slice(trig, 1, t, t + 1),
              zero);
      phase = g.op(OnnxOp.MAX, allowed, g.op(OnnxOp.RELU, g.add(phase, -1f / BLINK_FRAMES)));
      phases[t] = phase;
      gazeState =
          g.op(
              OnnxOp.WHERE,
              g.slice(saccade, 1, t, t + 1),
              g.slice(saccadeTo, 1, t, t + 1),
              gazeState);
      gazes[t] = gazeState;
    }
    ONNXRef<?> mouthAll = g.concat(1, mouth); // [1, W, 2]
    ONNXRef<?> emphasisAll = g.concat(1, emphasis); // [1, W, 1]
    ONNXRef<?> phaseAll = g.concat(1, phases);
    ONNXRef<?> saccadeAll = g.concat(1, gazes); // [1, W, 2]
    ONNXRef<?> eyelid = g.op(OnnxOp.SIN, g.mul(phaseAll, (float) Math.PI));

    // Expressions: the emotions' prototypes mixed by their weights, plus the emphasis on the brows,
    // scaled by expression_scale.
    float[] table = new float[EMOTIONS * (EXPRESSIONS + 2)];
    for (int i = 0; i < EMOTIONS; i++) {
      System.arraycopy(EMOTION_EXPRESSIONS[i], 0, table, i * (EXPRESSIONS + 2), EXPRESSIONS + 2);
    }
    float[] browMask = new float[EXPRESSIONS + 2];
    browMask[0] = PROSODY_BROW;
    ONNXRef<?> animated = g.mul(emphasisAll, prosody); // [1, W, 1]
    ONNXRef<?> expr =
        g.mul(
            g.add(
                g.op(OnnxOp.MATMUL, emotions, g.tensor(table, EMOTIONS, EXPRESSIONS + 2)),
                g.mul(animated, g.tensor(browMask, 1, 1, EXPRESSIONS + 2))),
            exprScale); // [1, W, 10]
    ONNXRef<?> jaw =
        g.clip(
            g.add(g.slice(mouthAll, 2, 0, 1), g.slice(expr, 2, EXPRESSIONS, EXPRESSIONS + 1)),
            0f,
            1f);
    ONNXRef<?> spread =
        g.clip(
            g.add(g.slice(mouthAll, 2, 1, 2), g.slice(expr, 2, EXPRESSIONS + 1, EXPRESSIONS + 2)),
            -1f,
            1f);
    ONNXRef<?> gaze =
        g.clip(
            g.add(
                g.slice(controls, 2, index("gaze_x"), index("gaze_y") + 1),
                g.mul(saccadeAll, control(g, controls, "gaze_wander"))),
            -1f,
            1f); // [1, W, 2]

    // Head: h = G e + phi1 h[-1] + phi2 h[-2]  (the AR(2) recursion in closed form).
    double[] ar = arCoefficients();
    ONNXRef<?> onset =
        g.op(
            OnnxOp.RELU,
            g.sub(
                openTarget,
                g.concat(1, g.slice(openTarget, 1, 0, 1), g.slice(openTarget, 1, 0, WINDOW - 1))));
    // The head sways more while an animated passage is spoken, not in its pauses.
    ONNXRef<?> gate =
        g.add(
            g.mul(g.mul(openTarget, 1f - HEAD_IDLE), g.add(g.mul(animated, PROSODY_HEAD), 1f)),
            HEAD_IDLE); // [1, W, 1]
    ONNXRef<?> excitation =
        g.mul(g.mul(g.slice(noise, 2, 0, HEAD), g.tensor(headSigma(ar), 1, 1, HEAD)), gate);
    float[] nodMask = new float[HEAD];
    nodMask[1] = NOD_GAIN;
    excitation = g.mul(g.add(excitation, g.mul(onset, g.tensor(nodMask, 1, 1, HEAD))), headScale);
    float[][] resp = arResponses(ar, WINDOW);
    ONNXRef<?> h1 = g.slice(last, 2, 0, HEAD); // [1,1,5]
    ONNXRef<?> h2 = g.slice(g.slice(context, 1, CONTEXT - 2, CONTEXT - 1), 2, 0, HEAD);
    ONNXRef<?> head =
        g.add(
            g.op(OnnxOp.MATMUL, g.tensor(resp[0], WINDOW, WINDOW), excitation),
            g.add(
                g.mul(g.tensor(resp[1], 1, WINDOW, 1), h1),
                g.mul(g.tensor(resp[2], 1, WINDOW, 1), h2)));

    g.output(
        s.outputs().get("motion"),
        g.concat(
            2,
            head,
            jaw,
            spread,
            eyelid,
            phaseAll,
            g.slice(expr, 2, 0, EXPRESSIONS),
            gaze,
            mouthAll,
            saccadeAll,
            emphasisAll));
    return g;
  }

  /** The index of control {@code name} in {@link ReferenceParameters#CONTROLS}. */
  static int index(String name) {
    int i = java.util.Arrays.asList(CONTROLS).indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no control " + name);
    }
    return i;
  }

  /** Control {@code name} over the window, {@code [1, W, 1]}. */
  private static ONNXRef<?> control(Graph g, ONNXRef<?> controls, String name) {
    int i = index(name);
    return g.slice(controls, 2, i, i + 1);
  }

  private static ONNXRef<?> bandMean(Graph g, ONNXRef<?> feats, int lo, int hi) {
    return g.op(
        OnnxOp.REDUCE_MEAN,
        Map.of("axes", new int[] {2}, "keepdims", 1),
        g.slice(feats, 2, lo, hi));
  }

  /** {a1, a2} of the head's AR(2) resonator. */
  public static double[] arCoefficients() {
    double w = 2 * Math.PI * AR_FREQ_HZ / FPS;
    return new double[] {2 * AR_RADIUS * Math.cos(w), -AR_RADIUS * AR_RADIUS};
  }

  /** Excitation standard deviation per head channel giving the stationary {@code HEAD_STD}. */
  public static float[] headSigma(double[] ar) {
    double a1 = ar[0];
    double a2 = ar[1];
    double gain = Math.sqrt((1 - a2) / ((1 + a2) * ((1 - a2) * (1 - a2) - a1 * a1)));
    float[] sigma = new float[HEAD];
    for (int j = 0; j < HEAD; j++) {
      sigma[j] = (float) (HEAD_STD[j] / gain);
    }
    return sigma;
  }

  /**
   * The AR(2) recursion {@code h[t] = a1 h[t-1] + a2 h[t-2] + e[t]} over a window, in closed form:
   * [0] the W×W impulse-response matrix G (h = G e for zero context), [1] and [2] the responses to
   * h[-1] = 1 and h[-2] = 1.
   */
  public static float[][] arResponses(double[] ar, int w) {
    double[] psi = new double[w];
    for (int k = 0; k < w; k++) {
      psi[k] = k == 0 ? 1 : ar[0] * psi[k - 1] + (k >= 2 ? ar[1] * psi[k - 2] : 0);
    }
    float[] gm = new float[w * w];
    for (int t = 0; t < w; t++) {
      for (int k = 0; k <= t; k++) {
        gm[t * w + k] = (float) psi[t - k];
      }
    }
    float[] phi1 = new float[w];
    float[] phi2 = new float[w];
    double p1m1 = 1;
    double p1m2 = 0;
    double p2m1 = 0;
    double p2m2 = 1;
    for (int t = 0; t < w; t++) {
      double p1 = ar[0] * p1m1 + ar[1] * p1m2;
      double p2 = ar[0] * p2m1 + ar[1] * p2m2;
      phi1[t] = (float) p1;
      phi2[t] = (float) p2;
      p1m2 = p1m1;
      p1m1 = p1;
      p2m2 = p2m1;
      p2m1 = p2;
    }
    return new float[][] {gm, phi1, phi2};
  }

  // ------------------------------------------------------------------------------------------
  // Source encoder: the appearance of the parametric renderer is the crop itself; the face's
  // landmarks pass through to the renderer.

  static Graph sourceEncoder(PackManifest.SourceEncoder s) {
    Graph g = new Graph("source_encoder");
    ONNXRef<?> image = g.input(s.inputs().get("image"));
    ONNXRef<?> landmarks = g.input(s.inputs().get("landmarks"));
    g.output(s.outputs().get("appearance"), g.clip(image, 0f, 1f));
    g.output(s.outputs().get("landmarks"), g.op(OnnxOp.IDENTITY, landmarks));
    return g;
  }

  // ------------------------------------------------------------------------------------------
  // Renderer: appearance + landmarks + motion [B, M] -> sampling grid -> GridSample -> inner-mouth
  // shading; alpha says where the result differs from the appearance.

  static Graph renderer(PackManifest.Renderer s) {
    Graph g = new Graph("renderer");
    ONNXRef<?> appearance = g.input(s.inputs().get("appearance"));
    ONNXRef<?> landmarks = g.input(s.inputs().get("landmarks")); // [1, 6, 2]
    ONNXRef<?> motion = g.input(s.inputs().get("motion")); // [B, M]
    ONNXRef<?>[] p = new ONNXRef<?>[M];
    for (int c = 0; c < M; c++) {
      p[c] = g.unsqueeze(g.slice(motion, 1, c, c + 1), 2); // [B, 1, 1]
    }
    int n = s.width();
    ONNXRef<?> u = g.tensor(baseGrid(n, true), 1, n, n);
    ONNXRef<?> v = g.tensor(baseGrid(n, false), 1, n, n);

    // Face geometry from the landmarks, each a [1, 1, 1] scalar.
    Landmarks lm = Landmarks.of(g, landmarks);
    ONNXRef<?> eyeAu = lm.eyeAu();
    ONNXRef<?> eyeAv = lm.eyeAv();
    ONNXRef<?> eyeBu = lm.eyeBu();
    ONNXRef<?> eyeBv = lm.eyeBv();
    ONNXRef<?> mouthU = lm.mouthU();
    ONNXRef<?> mouthV = lm.mouthV();
    // k: the face's size relative to the calibration face; every length below is multiplied by it.
    ONNXRef<?> k = g.mul(lm.iod(), 1f / IOD_REF);
    ONNXRef<?> faceU = g.mul(g.add(g.mul(g.add(eyeAu, eyeBu), 0.5f), mouthU), 0.5f);
    ONNXRef<?> faceV = g.mul(g.add(g.mul(g.add(eyeAv, eyeBv), 0.5f), mouthV), 0.5f);
    ONNXRef<?> window = g.mul(edgeWindow(g, u), edgeWindow(g, v)); // [1, n, n]

    // Head: a similarity warp about the face centre, full on the skull, none beyond it.
    ONNXRef<?> du0 = g.sub(u, faceU);
    ONNXRef<?> dv0 = g.sub(v, faceV);
    ONNXRef<?> ru = g.div(du0, g.mul(k, HEAD_RX));
    ONNXRef<?> rv = g.div(dv0, g.mul(k, HEAD_RY));
    ONNXRef<?> ell = g.op(OnnxOp.SQRT, g.add(g.add(g.mul(ru, ru), g.mul(rv, rv)), 1e-8f));
    ONNXRef<?> mask =
        g.mul(
            smoothstep(g, g.mul(g.sub(g.scalar(HEAD_OUTER), ell), 1f / (HEAD_OUTER - HEAD_INNER))),
            window); // [1,n,n]
    ONNXRef<?> tx = g.mul(g.add(p[3], g.mul(p[0], YAW_SHIFT)), k);
    ONNXRef<?> ty = g.mul(g.add(p[4], g.mul(p[1], PITCH_SHIFT)), k);
    ONNXRef<?> cos = g.op(OnnxOp.COS, p[2]);
    ONNXRef<?> sin = g.op(OnnxOp.SIN, p[2]);
    ONNXRef<?> qu = g.sub(du0, tx); // [B, n, n]
    ONNXRef<?> qv = g.sub(dv0, ty);
    // Inverse rotation by roll: source = R(-roll) q + c.
    ONNXRef<?> su = g.add(g.add(g.mul(cos, qu), g.mul(sin, qv)), faceU);
    ONNXRef<?> sv = g.add(g.sub(g.mul(cos, qv), g.mul(sin, qu)), faceV);
    ONNXRef<?> hu = g.add(u, g.mul(mask, g.sub(su, u))); // face-frame coordinates
    ONNXRef<?> hv = g.add(v, g.mul(mask, g.sub(sv, v)));

    // Local warps about the landmarks, in the face frame.
    ONNXRef<?> open = p[5];
    ONNXRef<?> spread = p[6];
    // A squint (eye_wide < 0) closes the lids part way.
    ONNXRef<?> lid =
        g.clip(g.add(p[7], g.mul(g.op(OnnxOp.RELU, g.neg(p[15])), SQUINT_LID)), 0f, 1f);
    ONNXRef<?> mu = g.sub(hu, mouthU);
    ONNXRef<?> mv = g.sub(hv, mouthV);
    ONNXRef<?> jawW =
        g.mul(
            g.mul(
                gauss(g, mu, g.mul(k, JAW_SU)),
                gauss(g, g.sub(mv, g.mul(k, JAW_CENTRE)), g.mul(k, JAW_SV))),
            g.op(OnnxOp.TANH, g.div(g.op(OnnxOp.RELU, mv), g.mul(k, 0.02f))));
    ONNXRef<?> upperW =
        g.mul(
            gauss(g, mu, g.mul(k, 0.18f)), gauss(g, g.add(mv, g.mul(k, 0.035f)), g.mul(k, 0.03f)));
    ONNXRef<?> mouthW = g.mul(gauss(g, mu, g.mul(k, 0.22f)), gauss(g, mv, g.mul(k, 0.07f)));
    ONNXRef<?> eyeSu = g.mul(k, EYE_SU);
    ONNXRef<?> eyeSv = g.mul(k, EYE_SV);
    ONNXRef<?> eyeW =
        g.add(
            g.mul(flatTop(g, g.sub(hu, eyeAu), eyeSu), flatTop(g, g.sub(hv, eyeAv), eyeSv)),
            g.mul(flatTop(g, g.sub(hu, eyeBu), eyeSu), flatTop(g, g.sub(hv, eyeBv), eyeSv)));
    ONNXRef<?> dv =
        g.mul(
            g.mul(
                g.add(
                    g.add(
                        g.mul(g.mul(open, jawW), -JAW_DROP), g.mul(g.mul(open, upperW), LIP_RAISE)),
                    g.mul(g.mul(lid, eyeW), -LID_TRAVEL)),
                k),
            window);
    ONNXRef<?> du = g.mul(g.mul(g.mul(g.mul(spread, mouthW), mu), -SPREAD_GAIN), window);
    // Expressions: a displacement field in the face frame, sampled where the head warp looks.
    ONNXRef<?> hgrid = g.concat(3, g.unsqueeze(hu, 3), g.unsqueeze(hv, 3)); // [B, n, n, 2]
    ONNXRef<?> expression =
        g.op(
            OnnxOp.GRID_SAMPLE,
            Map.of("align_corners", 0, "mode", "bilinear", "padding_mode", "zeros"),
            expressionField(
                g,
                motion,
                lm,
                g.tensor(baseGrid(FIELD, true), 1, FIELD, FIELD),
                g.tensor(baseGrid(FIELD, false), 1, FIELD, FIELD),
                k,
                FIELD),
            hgrid); // [B, 2, n, n]
    ONNXRef<?> gu =
        g.add(g.add(hu, du), g.mul(g.reshape(g.slice(expression, 1, 0, 1), -1, n, n), window));
    ONNXRef<?> gv =
        g.add(g.add(hv, dv), g.mul(g.reshape(g.slice(expression, 1, 1, 2), -1, n, n), window));
    ONNXRef<?> grid = g.concat(3, g.unsqueeze(gu, 3), g.unsqueeze(gv, 3)); // [B, n, n, 2]

    ONNXRef<?> batch = g.slice(g.op(OnnxOp.SHAPE, motion), 0, 0, 1);
    ONNXRef<?> tiled =
        g.op(OnnxOp.EXPAND, appearance, g.concat(0, batch, g.longs(new long[] {3, n, n})));
    ONNXRef<?> sampled =
        g.op(
            OnnxOp.GRID_SAMPLE,
            Map.of("align_corners", 0, "mode", "bilinear", "padding_mode", "border"),
            tiled,
            grid);

    // Inner mouth: a dark ellipse filling the gap the jaw opens between the lips.
    ONNXRef<?> gap =
        g.mul(g.mul(open, k), JAW_DROP * (float) Math.exp(-Math.pow(JAW_CENTRE / JAW_SV, 2)));
    ONNXRef<?> halfH = g.add(g.mul(gap, 0.5f), 1e-3f);
    ONNXRef<?> halfW = g.mul(g.mul(g.add(g.mul(spread, 0.25f), 1f), k), MOUTH_HALF_WIDTH);
    ONNXRef<?> eu = g.div(mu, halfW);
    ONNXRef<?> ev = g.div(g.sub(mv, g.mul(gap, 0.5f)), halfH);
    ONNXRef<?> d = g.add(g.mul(eu, eu), g.mul(ev, ev));
    ONNXRef<?> cover = g.clip(g.mul(g.sub(g.scalar(1f), d), 1.5f), 0f, 1f);
    ONNXRef<?> shade =
        g.mul(g.mul(cover, g.mul(g.clip(g.mul(open, 4f), 0f, 1f), MOUTH_OPACITY)), window);
    ONNXRef<?> shade4 = g.unsqueeze(shade, 1); // [B, 1, n, n]
    ONNXRef<?> frames =
        g.clip(
            g.add(
                g.mul(sampled, g.sub(g.scalar(1f), shade4)),
                g.mul(shade4, g.tensor(MOUTH_RGB, 1, 3, 1, 1))),
            0f,
            1f);

    // Alpha: 1 where the warp moves a pixel by ALPHA_PIXELS or more, or the mouth is shaded.
    ONNXRef<?> mu2 = g.sub(gu, u);
    ONNXRef<?> mv2 = g.sub(gv, v);
    ONNXRef<?> moved =
        g.mul(
            g.op(OnnxOp.SQRT, g.add(g.add(g.mul(mu2, mu2), g.mul(mv2, mv2)), 1e-12f)),
            n / 2f / ALPHA_PIXELS);
    ONNXRef<?> alpha =
        g.unsqueeze(g.clip(g.op(OnnxOp.MAX, g.add(moved, -1e-3f), g.mul(shade, 4f)), 0f, 1f), 1);
    g.output(s.outputs().get("frames"), frames);
    g.output(s.outputs().get("alpha"), alpha);
    g.output(s.outputs().get("grid"), grid);
    return g;
  }

  /**
   * The expression channels' displacement of the sampling grid, {@code [B, 2, n, n]} (u, v), in the
   * face frame (before the head moves it): each channel's amount times its basis field, which
   * depends only on the landmarks, so the fields are built once per call at batch 1 and mixed by a
   * MatMul. Each basis is a Gaussian about a point placed on the face's own geometry (brows above
   * the eyes, mouth corners, cheeks, the band above the lips, the irises), displacing along the eye
   * line or across it, so that a tilted face's brows rise along its own up.
   */
  private static ONNXRef<?> expressionField(
      Graph g, ONNXRef<?> motion, Landmarks lm, ONNXRef<?> u, ONNXRef<?> v, ONNXRef<?> k, int n) {
    ONNXRef<?> eyeAu = lm.eyeAu();
    ONNXRef<?> eyeAv = lm.eyeAv();
    ONNXRef<?> eyeBu = lm.eyeBu();
    ONNXRef<?> eyeBv = lm.eyeBv();
    ONNXRef<?> mouthU = lm.mouthU();
    ONNXRef<?> mouthV = lm.mouthV();
    ONNXRef<?> du = g.sub(eyeBu, eyeAu);
    ONNXRef<?> dv = g.sub(eyeBv, eyeAv);
    ONNXRef<?> iod = lm.iod();
    // The face frame: x along the eye line (towards eye B, the image's right), y across it (down).
    ONNXRef<?> xv = g.div(dv, iod);
    Frame f = new Frame(g.div(du, iod), xv, g.neg(xv), k);
    Frame.Point browA = f.at(g, eyeAu, eyeAv, 0, -BROW_UP);
    Frame.Point browB = f.at(g, eyeBu, eyeBv, 0, -BROW_UP);
    Frame.Point cornerA = f.at(g, mouthU, mouthV, -CORNER_OFFSET, 0);
    Frame.Point cornerB = f.at(g, mouthU, mouthV, CORNER_OFFSET, 0);
    Frame.Point cheekA = f.at(g, eyeAu, eyeAv, 0, CHEEK_DOWN);
    Frame.Point cheekB = f.at(g, eyeBu, eyeBv, 0, CHEEK_DOWN);
    Frame.Point lip = f.at(g, mouthU, mouthV, 0, -UPPER_LIP_UP);
    Frame.Point eyeA = f.at(g, eyeAu, eyeAv, 0, 0);
    Frame.Point eyeB = f.at(g, eyeBu, eyeBv, 0, 0);

    ONNXRef<?> wBrowA = f.gauss(g, browA, u, v, BROW_SU, BROW_SV);
    ONNXRef<?> wBrowB = f.gauss(g, browB, u, v, BROW_SU, BROW_SV);
    ONNXRef<?> brows = g.add(wBrowA, wBrowB);
    // The inner half of each brow: towards the other eye.
    ONNXRef<?> innerA =
        g.mul(
            g.add(g.op(OnnxOp.TANH, g.div(f.a(g, browA, u, v), g.mul(k, BROW_INNER_RAMP))), 1f),
            0.5f);
    ONNXRef<?> innerB =
        g.mul(
            g.add(
                g.op(OnnxOp.TANH, g.div(g.neg(f.a(g, browB, u, v)), g.mul(k, BROW_INNER_RAMP))),
                1f),
            0.5f);
    ONNXRef<?> inner = g.add(g.mul(wBrowA, innerA), g.mul(wBrowB, innerB));
    ONNXRef<?> wCornerB = f.gauss(g, cornerB, u, v, CORNER_SU, CORNER_SV);
    ONNXRef<?> wCornerA = f.gauss(g, cornerA, u, v, CORNER_SU, CORNER_SV);
    ONNXRef<?> corners = g.add(wCornerA, wCornerB);
    ONNXRef<?> cheeks =
        g.add(
            f.gauss(g, cheekA, u, v, CHEEK_SU, CHEEK_SV),
            f.gauss(g, cheekB, u, v, CHEEK_SU, CHEEK_SV));
    ONNXRef<?> upperLip = f.gauss(g, lip, u, v, UPPER_LIP_SU, UPPER_LIP_SV);
    ONNXRef<?> eyes =
        g.add(f.flatTop(g, eyeA, u, v, EYE_SU, EYE_SV), f.flatTop(g, eyeB, u, v, EYE_SU, EYE_SV));
    ONNXRef<?> eyeAcross =
        g.add(
            g.mul(f.flatTop(g, eyeA, u, v, EYE_SU, EYE_SV), f.b(g, eyeA, u, v)),
            g.mul(f.flatTop(g, eyeB, u, v, EYE_SU, EYE_SV), f.b(g, eyeB, u, v)));
    ONNXRef<?> irises =
        g.add(
            f.flatTop(g, eyeA, u, v, IRIS_SU, IRIS_SV), f.flatTop(g, eyeB, u, v, IRIS_SU, IRIS_SV));
    ONNXRef<?> knitAlong = g.sub(wBrowA, wBrowB); // brow A moves along +x, brow B along -x

    // (channel, weight field, along-x amount, across-y amount): content moves by the amount times
    // the weight (in IOD_REF units, y down), so the grid samples from the opposite way.
    List<ONNXRef<?>> basisU = new ArrayList<>();
    List<ONNXRef<?>> basisV = new ArrayList<>();
    List<ONNXRef<?>> amounts = new ArrayList<>();
    ONNXRef<?> zero = g.scalar(0f);
    Object[][] terms = {
      {9, brows, zero, g.scalar(-BROW_TRAVEL)},
      {10, inner, zero, g.scalar(-BROW_TRAVEL)},
      {11, knitAlong, g.scalar(KNIT_TRAVEL), zero},
      {11, brows, zero, g.scalar(0.3f * BROW_TRAVEL)},
      {12, corners, zero, g.scalar(-CORNER_TRAVEL)},
      {12, g.sub(wCornerB, wCornerA), g.scalar(CORNER_OUT), zero},
      {13, wCornerB, zero, g.scalar(-CORNER_TRAVEL)},
      {14, cheeks, zero, g.scalar(-CHEEK_TRAVEL)},
      {15, eyeAcross, zero, g.scalar(EYE_WIDE_GAIN)},
      {16, upperLip, zero, g.scalar(-UPPER_LIP_TRAVEL)},
      {17, irises, g.scalar(GAZE_TRAVEL), zero},
      {18, irises, zero, g.scalar(GAZE_TRAVEL)},
    };
    for (Object[] t : terms) {
      int c = (Integer) t[0];
      ONNXRef<?> w = (ONNXRef<?>) t[1];
      // Displacement of content, in crop units: k × (along·x̂ + across·ŷ) × weight; the eye-wide
      // field already carries its distance across the eye (a stretch), so it is not scaled by k.
      ONNXRef<?> scale = c == 15 ? g.scalar(1f) : k;
      ONNXRef<?> along = g.mul((ONNXRef<?>) t[2], scale);
      ONNXRef<?> across = g.mul((ONNXRef<?>) t[3], scale);
      ONNXRef<?> moveU = g.add(g.mul(along, f.xu()), g.mul(across, f.yu()));
      ONNXRef<?> moveV = g.add(g.mul(along, f.xv()), g.mul(across, f.yv()));
      basisU.add(g.reshape(g.neg(g.mul(w, moveU)), 1, (long) n * n));
      basisV.add(g.reshape(g.neg(g.mul(w, moveV)), 1, (long) n * n));
      ONNXRef<?> amount = g.slice(motion, 1, c, c + 1); // [B, 1]
      amounts.add(c == 15 ? g.op(OnnxOp.RELU, amount) : amount);
    }
    ONNXRef<?> a = g.concat(1, amounts.toArray(new ONNXRef<?>[0])); // [B, K]
    ONNXRef<?> fieldU = g.op(OnnxOp.MATMUL, a, g.concat(0, basisU.toArray(new ONNXRef<?>[0])));
    ONNXRef<?> fieldV = g.op(OnnxOp.MATMUL, a, g.concat(0, basisV.toArray(new ONNXRef<?>[0])));
    return g.concat(1, g.reshape(fieldU, -1, 1, n, n), g.reshape(fieldV, -1, 1, n, n));
  }

  /**
   * The face frame: unit vectors along the eye line (x) and across it (y), and the face's scale.
   */
  private record Frame(ONNXRef<?> xu, ONNXRef<?> xv, ONNXRef<?> yu, ONNXRef<?> k) {

    /** A point given in the face frame (IOD_REF units) from an origin in crop coordinates. */
    record Point(ONNXRef<?> u, ONNXRef<?> v) {}

    ONNXRef<?> yv() {
      return xu;
    }

    Point at(Graph g, ONNXRef<?> u0, ONNXRef<?> v0, float along, float across) {
      // y = (-xv, xu)
      ONNXRef<?> pu = g.add(u0, g.mul(k, g.sub(g.mul(xu, along), g.mul(xv, across))));
      ONNXRef<?> pv = g.add(v0, g.mul(k, g.add(g.mul(xv, along), g.mul(xu, across))));
      return new Point(pu, pv);
    }

    /** Distance along the eye line from {@code p}, in crop units. */
    ONNXRef<?> a(Graph g, Point p, ONNXRef<?> u, ONNXRef<?> v) {
      return g.add(g.mul(g.sub(u, p.u()), xu), g.mul(g.sub(v, p.v()), xv));
    }

    /** Distance across the eye line (down) from {@code p}, in crop units. */
    ONNXRef<?> b(Graph g, Point p, ONNXRef<?> u, ONNXRef<?> v) {
      return g.sub(g.mul(g.sub(v, p.v()), xu), g.mul(g.sub(u, p.u()), xv));
    }

    ONNXRef<?> gauss(Graph g, Point p, ONNXRef<?> u, ONNXRef<?> v, float su, float sv) {
      return g.mul(
          ReferencePack.gauss(g, a(g, p, u, v), g.mul(k, su)),
          ReferencePack.gauss(g, b(g, p, u, v), g.mul(k, sv)));
    }

    ONNXRef<?> flatTop(Graph g, Point p, ONNXRef<?> u, ONNXRef<?> v, float su, float sv) {
      return g.mul(
          ReferencePack.flatTop(g, a(g, p, u, v), g.mul(k, su)),
          ReferencePack.flatTop(g, b(g, p, u, v), g.mul(k, sv)));
    }
  }

  /** The landmarks the warps use, each a {@code [1, 1, 1]} scalar, and the eyes' distance. */
  private record Landmarks(
      ONNXRef<?> eyeAu,
      ONNXRef<?> eyeAv,
      ONNXRef<?> eyeBu,
      ONNXRef<?> eyeBv,
      ONNXRef<?> mouthU,
      ONNXRef<?> mouthV,
      ONNXRef<?> iod) {

    static Landmarks of(Graph g, ONNXRef<?> landmarks) {
      ONNXRef<?> au = landmark(g, landmarks, 0, 0);
      ONNXRef<?> av = landmark(g, landmarks, 0, 1);
      ONNXRef<?> bu = landmark(g, landmarks, 1, 0);
      ONNXRef<?> bv = landmark(g, landmarks, 1, 1);
      ONNXRef<?> du = g.sub(bu, au);
      ONNXRef<?> dv = g.sub(bv, av);
      ONNXRef<?> iod = g.op(OnnxOp.SQRT, g.add(g.add(g.mul(du, du), g.mul(dv, dv)), 1e-8f));
      return new Landmarks(
          au, av, bu, bv, landmark(g, landmarks, 3, 0), landmark(g, landmarks, 3, 1), iod);
    }
  }

  /** Landmark {@code i}'s coordinate {@code c} (0: u, 1: v) as a {@code [1, 1, 1]} tensor. */
  private static ONNXRef<?> landmark(Graph g, ONNXRef<?> landmarks, int i, int c) {
    return g.reshape(g.slice(g.slice(landmarks, 1, i, i + 1), 2, c, c + 1), 1, 1, 1);
  }

  /** 1 inside |x| < WARP_FLAT, 0 beyond WARP_EDGE, smooth between. */
  private static ONNXRef<?> edgeWindow(Graph g, ONNXRef<?> x) {
    return smoothstep(
        g, g.mul(g.sub(g.scalar(WARP_EDGE), g.op(OnnxOp.ABS, x)), 1f / (WARP_EDGE - WARP_FLAT)));
  }

  /** {@code t² (3 - 2t)} of t clipped to [0, 1]. */
  private static ONNXRef<?> smoothstep(Graph g, ONNXRef<?> t) {
    ONNXRef<?> c = g.clip(t, 0f, 1f);
    return g.mul(g.mul(c, c), g.sub(g.scalar(3f), g.mul(c, 2f)));
  }

  private static ONNXRef<?> gauss(Graph g, ONNXRef<?> x, ONNXRef<?> sigma) {
    ONNXRef<?> r = g.div(x, sigma);
    return g.op(OnnxOp.EXP, g.neg(g.mul(r, r)));
  }

  /** {@code exp(-(x/sigma)^4)}: flat over |x| < sigma/2, then falling fast. */
  private static ONNXRef<?> flatTop(Graph g, ONNXRef<?> x, ONNXRef<?> sigma) {
    ONNXRef<?> r = g.div(x, sigma);
    ONNXRef<?> t = g.mul(r, r);
    return g.op(OnnxOp.EXP, g.neg(g.mul(t, t)));
  }

  /** Pixel-centre coordinates in [-1, 1] (GridSample with align_corners=0), {@code [n, n]}. */
  public static float[] baseGrid(int n, boolean horizontal) {
    float[] out = new float[n * n];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        int i = horizontal ? x : y;
        out[y * n + x] = (2f * i + 1f) / n - 1f;
      }
    }
    return out;
  }
}
