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
  public static final String VERSION = "1.2.0";

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
            List.of("expression_intensity", "head_motion_scale"),
            "single-pass",
            1,
            0f,
            Map.of(
                "audio_features", spec("audio_features", 1, WINDOW, N_MELS),
                "context", spec("context", 1, CONTEXT, M),
                "noise", spec("noise", 1, WINDOW, M),
                "controls", spec("controls", 1, 2)),
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
    ONNXRef<?> controls = g.input(s.inputs().get("controls")); // [1, 2]
    ONNXRef<?> intensity = g.reshape(g.slice(controls, 1, 0, 1), 1, 1, 1);
    ONNXRef<?> headScale = g.reshape(g.slice(controls, 1, 1, 2), 1, 1, 1);

    ONNXRef<?> energy = bandMean(g, feats, SPEECH_LO, SPEECH_HI); // [1, W, 1]
    ONNXRef<?> tilt =
        g.sub(bandMean(g, feats, F2_LO, F2_HI), bandMean(g, feats, F1_LO, F1_HI)); // [1, W, 1]
    ONNXRef<?> openTarget =
        g.clip(g.mul(g.add(energy, -ENERGY_CLOSED), 1f / (ENERGY_OPEN - ENERGY_CLOSED)), 0f, 1f);
    ONNXRef<?> spreadTarget =
        g.mul(
            g.clip(g.mul(g.add(tilt, -TILT_MID), TILT_SCALE), -1f, 1f),
            g.clip(g.mul(openTarget, 3f), 0f, 1f));
    ONNXRef<?> mouthTarget = g.mul(g.concat(2, openTarget, spreadTarget), intensity); // [1, W, 2]

    // Head: h = G e + phi1 h[-1] + phi2 h[-2]  (the AR(2) recursion in closed form).
    double[] ar = arCoefficients();
    ONNXRef<?> onset =
        g.op(
            OnnxOp.RELU,
            g.sub(
                openTarget,
                g.concat(1, g.slice(openTarget, 1, 0, 1), g.slice(openTarget, 1, 0, WINDOW - 1))));
    ONNXRef<?> gate = g.add(g.mul(openTarget, 1f - HEAD_IDLE), HEAD_IDLE); // [1, W, 1]
    ONNXRef<?> excitation =
        g.mul(g.mul(g.slice(noise, 2, 0, HEAD), g.tensor(headSigma(ar), 1, 1, HEAD)), gate);
    float[] nodMask = new float[HEAD];
    nodMask[1] = NOD_GAIN;
    excitation = g.mul(g.add(excitation, g.mul(onset, g.tensor(nodMask, 1, 1, HEAD))), headScale);
    float[][] resp = arResponses(ar, WINDOW);
    ONNXRef<?> h1 = g.slice(g.slice(context, 1, CONTEXT - 1, CONTEXT), 2, 0, HEAD); // [1,1,5]
    ONNXRef<?> h2 = g.slice(g.slice(context, 1, CONTEXT - 2, CONTEXT - 1), 2, 0, HEAD);
    ONNXRef<?> head =
        g.add(
            g.op(OnnxOp.MATMUL, g.tensor(resp[0], WINDOW, WINDOW), excitation),
            g.add(
                g.mul(g.tensor(resp[1], 1, WINDOW, 1), h1),
                g.mul(g.tensor(resp[2], 1, WINDOW, 1), h2)));

    // Mouth: attack/release follower, unrolled over the window.
    ONNXRef<?> y = g.slice(g.slice(context, 1, CONTEXT - 1, CONTEXT), 2, HEAD, HEAD + 2); // [1,1,2]
    ONNXRef<?> zero = g.scalar(0f);
    ONNXRef<?> attack = g.scalar(ATTACK);
    ONNXRef<?> release = g.scalar(RELEASE);
    ONNXRef<?>[] mouth = new ONNXRef<?>[WINDOW];
    // Blink: phase s falls from 1 to 0 over BLINK_FRAMES; a new blink may start only at s = 0.
    ONNXRef<?> trig =
        g.op(
            OnnxOp.WHERE,
            g.op(OnnxOp.LESS, g.slice(noise, 2, M - 1, M), g.scalar(BLINK_Z)),
            g.scalar(1f),
            zero); // [1, W, 1]
    ONNXRef<?> phase = g.slice(g.slice(context, 1, CONTEXT - 1, CONTEXT), 2, M - 1, M); // [1,1,1]
    ONNXRef<?>[] phases = new ONNXRef<?>[WINDOW];
    for (int t = 0; t < WINDOW; t++) {
      ONNXRef<?> d = g.sub(g.slice(mouthTarget, 1, t, t + 1), y);
      ONNXRef<?> rate = g.op(OnnxOp.WHERE, g.op(OnnxOp.GREATER, d, zero), attack, release);
      y = g.add(y, g.mul(rate, d));
      mouth[t] = y;
      ONNXRef<?> allowed =
          g.op(
              OnnxOp.WHERE,
              g.op(OnnxOp.LESS_OR_EQUAL, phase, zero),
              g.slice(trig, 1, t, t + 1),
              zero);
      phase = g.op(OnnxOp.MAX, allowed, g.op(OnnxOp.RELU, g.add(phase, -1f / BLINK_FRAMES)));
      phases[t] = phase;
    }
    ONNXRef<?> mouthAll = g.concat(1, mouth);
    ONNXRef<?> phaseAll = g.concat(1, phases);
    ONNXRef<?> eyelid = g.op(OnnxOp.SIN, g.mul(phaseAll, (float) Math.PI));
    g.output(s.outputs().get("motion"), g.concat(2, head, mouthAll, eyelid, phaseAll));
    return g;
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
    ONNXRef<?> eyeAu = landmark(g, landmarks, 0, 0);
    ONNXRef<?> eyeAv = landmark(g, landmarks, 0, 1);
    ONNXRef<?> eyeBu = landmark(g, landmarks, 1, 0);
    ONNXRef<?> eyeBv = landmark(g, landmarks, 1, 1);
    ONNXRef<?> mouthU = landmark(g, landmarks, 3, 0);
    ONNXRef<?> mouthV = landmark(g, landmarks, 3, 1);
    ONNXRef<?> eyeDu = g.sub(eyeBu, eyeAu);
    ONNXRef<?> eyeDv = g.sub(eyeBv, eyeAv);
    // k: the face's size relative to the calibration face; every length below is multiplied by it.
    ONNXRef<?> k =
        g.mul(
            g.op(OnnxOp.SQRT, g.add(g.add(g.mul(eyeDu, eyeDu), g.mul(eyeDv, eyeDv)), 1e-8f)),
            1f / IOD_REF);
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
    ONNXRef<?> lid = p[7];
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
    ONNXRef<?> gu = g.add(hu, du);
    ONNXRef<?> gv = g.add(hv, dv);
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
