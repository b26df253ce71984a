package dev.actorfarm.runtime.pack;

import dev.actorfarm.runtime.pack.PackManifest.ModelFile;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The load-time checks of a pack's manifest, without opening its ONNX files: the files exist, the
 * stages fit each other (motion dimension, sizes, controls, roles) and the LivePortrait family's
 * files have its published signatures. Each problem is one line.
 */
public final class PackChecks {

  /** The LivePortrait family's files (FasterLivePortrait's names) and whether each is required. */
  public static final String APPEARANCE = "appearance_feature_extractor";

  public static final String MOTION_EXTRACTOR = "motion_extractor";
  public static final String WARPING = "warping_spade";
  public static final String STITCHING = "stitching";
  public static final String STITCHING_EYE = "stitching_eye";
  public static final String STITCHING_LIP = "stitching_lip";
  public static final String LANDMARK = "landmark";

  /** The motion extractor's output roles, bound by name. */
  public static final List<String> MOTION_ROLES =
      List.of("pitch", "yaw", "roll", "t", "exp", "scale", "kp");

  /** warping_spade's inputs, in the order the file declares them. */
  public static final List<String> WARPING_ROLES = List.of("feature_3d", "kp_driving", "kp_source");

  /** The reference channels a LivePortrait pack maps onto its keypoints. */
  public static final List<String> REFERENCE_CHANNELS =
      List.of(
          "head_yaw",
          "head_pitch",
          "head_roll",
          "head_tx",
          "head_ty",
          "jaw_open",
          "lip_spread",
          "eyelid_close");

  private static final Set<String> SAMPLERS = Set.of("single-pass", "ddim", "ddpm");
  private static final Set<String> DTYPES = Set.of("float32", "float16", "int64");

  private PackChecks() {}

  /** Every problem of {@code pack}, one line each; empty when it is sound. */
  public static List<String> problems(ModelPack pack) {
    List<String> p = new ArrayList<>();
    PackManifest m = pack.manifest();
    if (m.fps() <= 0) {
      p.add("fps must be positive");
    }
    if (m.audioEncoder() == null) {
      p.add("no audioEncoder");
    }
    if (m.motionGenerator() == null) {
      p.add("no motionGenerator");
    }
    if (!p.isEmpty()) {
      return p;
    }
    for (ModelFile f : pack.declaredFiles().values()) {
      if (f.file() == null) {
        p.add("a stage names no file");
      } else if (!Files.isRegularFile(pack.file(f.file()))) {
        p.add("lacks " + f.file() + " named in its manifest");
      }
    }
    if (m.models() != null) {
      m.models().forEach((id, f) -> modelFile(id, f, p));
    }
    motion(m, p);
    if (m.livePortraitFamily()) {
      livePortrait(pack, p);
    } else {
      if (m.sourceEncoder() == null || m.renderer() == null) {
        p.add("no sourceEncoder or renderer (and no liveportrait block)");
      } else {
        renderer(m, p);
      }
    }
    return p;
  }

  private static void modelFile(String id, ModelFile f, List<String> p) {
    if (f.inputs() == null || f.inputs().isEmpty() || f.outputs() == null) {
      p.add("models." + id + " declares no inputs or outputs");
      return;
    }
    for (TensorSpec t : concat(f.inputs(), f.outputs())) {
      if (!DTYPES.contains(t.dtype())) {
        p.add(
            "models."
                + id
                + " tensor '"
                + t.name()
                + "' has dtype "
                + t.dtype()
                + " ("
                + DTYPES
                + ")");
      }
    }
    if (f.maxBatch() != null && f.maxBatch() < 1) {
      p.add("models." + id + ".maxBatch must be at least 1");
    }
  }

  private static void motion(PackManifest m, List<String> p) {
    PackManifest.MotionGenerator g = m.motionGenerator();
    if (g.restPose() == null || g.restPose().size() != g.motionDim()) {
      p.add("motionGenerator.restPose must have motionDim (" + g.motionDim() + ") values");
    }
    if (!SAMPLERS.contains(g.sampler())) {
      p.add("motionGenerator.sampler '" + g.sampler() + "' is not one of " + SAMPLERS);
    }
    String layout = g.motionLayout();
    if (!layout.equals(PackManifest.LAYOUT_REFERENCE)
        && !layout.equals(PackManifest.LAYOUT_JOYVASA)) {
      p.add("motionGenerator.layout '" + layout + "' is not reference or joyvasa");
    }
    if (layout.equals(PackManifest.LAYOUT_JOYVASA) && g.motionDim() != 70) {
      p.add("motionGenerator: the joyvasa layout has 70 values, motionDim is " + g.motionDim());
    }
    if (g.controls() != null) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (PackManifest.Control c : g.controls()) {
        if (c == null || c.name() == null || c.name().isBlank()) {
          p.add("motionGenerator.controls: a control has no name");
          continue;
        }
        if (!seen.add(c.name())) {
          p.add("motionGenerator.controls: '" + c.name() + "' is listed twice");
        }
        var r = dev.actorfarm.runtime.direction.FarmControls.resolve(c);
        if (!(r.min() <= r.max())
            || !(r.defaultValue() >= r.min() && r.defaultValue() <= r.max())) {
          p.add(
              "motionGenerator.controls: '"
                  + c.name()
                  + "' has default "
                  + r.defaultValue()
                  + " outside its range "
                  + r.min()
                  + ".."
                  + r.max());
        }
      }
    }
    TensorSpec controls = g.inputs() == null ? null : g.inputs().get("controls");
    int controlCount = g.controls() == null ? 0 : g.controls().size();
    if (controls != null && last(controls) > 0 && last(controls) != controlCount) {
      p.add(
          "motionGenerator: the controls input takes "
              + last(controls)
              + " values but "
              + controlCount
              + " controls are listed");
    }
    if ("single-pass".equals(g.sampler())) {
      need(g.inputs(), "motionGenerator.inputs", List.of("audio_features", "context", "noise"), p);
      need(g.outputs(), "motionGenerator.outputs", List.of("motion"), p);
      if (g.inputs() != null && g.inputs().get("context") != null) {
        checkLast(g.inputs().get("context"), g.motionDim(), "motionGenerator context", p);
      }
    } else if (SAMPLERS.contains(g.sampler())) {
      diffusion(g, p);
    }
    if (g.outputs() != null) {
      TensorSpec out = g.outputs().get(g.diffusion() == null ? "motion" : "prediction");
      if (out != null) {
        checkLast(out, g.motionDim(), "motionGenerator output", p);
      }
    }
  }

  private static void diffusion(PackManifest.MotionGenerator g, List<String> p) {
    PackManifest.Diffusion d = g.diffusion();
    if (d == null) {
      p.add("motionGenerator.sampler " + g.sampler() + " needs a diffusion block");
      return;
    }
    need(g.inputs(), "motionGenerator.inputs", List.of("motion", "timesteps", "audio_features"), p);
    need(g.outputs(), "motionGenerator.outputs", List.of("prediction"), p);
    // The denoiser sees the context frames, then the window's: P + W rows.
    int rows = g.contextFrames() + g.windowFrames();
    frames(g.inputs(), "motion", rows, "contextFrames + windowFrames", p);
    frames(g.inputs(), "timesteps", rows, "contextFrames + windowFrames", p);
    frames(g.outputs(), "prediction", rows, "contextFrames + windowFrames", p);
    frames(g.inputs(), "audio_features", g.windowFrames(), "windowFrames", p);
    if (!Set.of("eps", "x0", "v").contains(d.prediction())) {
      p.add("diffusion.prediction '" + d.prediction() + "' is not eps, x0 or v");
    }
    if (!Set.of("linear", "cosine").contains(d.schedule())) {
      p.add("diffusion.schedule '" + d.schedule() + "' is not linear or cosine");
    }
    if (d.trainSteps() < 2) {
      p.add("diffusion.trainSteps must be at least 2");
    } else if (g.steps() < 1 || g.steps() > d.trainSteps()) {
      p.add("motionGenerator.steps must be between 1 and diffusion.trainSteps");
    }
    if ("linear".equals(d.schedule())
        && !(d.betaStart() > 0 && d.betaEnd() >= d.betaStart() && d.betaEnd() < 1)) {
      p.add("diffusion: a linear schedule needs 0 < betaStart ≤ betaEnd < 1");
    }
    if (d.eta() < 0 || d.eta() > 1) {
      p.add("diffusion.eta must be in [0, 1]");
    }
    if (d.forcingStagger() < 0 || d.contextLevel() < 0 || d.contextLevel() >= d.trainSteps()) {
      p.add("diffusion: forcingStagger ≥ 0 and 0 ≤ contextLevel < trainSteps");
    }
    if (g.guidance() < 0) {
      p.add("motionGenerator.guidance must not be negative");
    }
    for (var stats : new Object[][] {{"mean", d.mean()}, {"std", d.std()}}) {
      List<?> v = (List<?>) stats[1];
      if (v != null && v.size() != g.motionDim()) {
        p.add("diffusion." + stats[0] + " must have motionDim (" + g.motionDim() + ") values");
      }
    }
  }

  private static void renderer(PackManifest m, List<String> p) {
    PackManifest.Renderer r = m.renderer();
    need(r.inputs(), "renderer.inputs", List.of("motion"), p);
    need(r.outputs(), "renderer.outputs", List.of("frames"), p);
    if (r.maxBatch() < 1) {
      p.add("renderer.maxBatch must be at least 1");
    }
    if (r.width() <= 0 || r.height() <= 0) {
      p.add("renderer: width and height must be positive");
    }
    if (m.motionGenerator().motionLayout().equals(PackManifest.LAYOUT_JOYVASA)) {
      p.add("the joyvasa motion layout needs a LivePortrait-family renderer");
    }
    if (r.inputs() == null) {
      return;
    }
    TensorSpec motion = r.inputs().get("motion");
    if (motion != null) {
      checkLast(motion, m.motionGenerator().motionDim(), "renderer motion input", p);
    }
    Map<String, TensorSpec> sourceOut =
        m.sourceEncoder().outputs() == null ? Map.of() : m.sourceEncoder().outputs();
    for (var e : r.inputs().entrySet()) {
      String role = e.getKey();
      if (role.equals("motion")) {
        continue;
      }
      if (!sourceOut.containsKey(role) && !role.equals("landmarks")) {
        p.add("renderer input '" + role + "' is not an output role of the source encoder");
      }
      List<Long> shape = e.getValue().shape();
      if (r.maxBatch() > 1 && shape != null && !shape.isEmpty() && shape.get(0) > 1) {
        p.add(
            "renderer input '"
                + role
                + "' has a fixed batch of "
                + shape.get(0)
                + "; give it batch 1 or -1, or declare maxBatch 1");
      }
    }
    if (r.outputs() != null && r.outputs().get("frames") != null) {
      List<Long> fs = r.outputs().get("frames").shape();
      if (fs != null
          && fs.size() == 4
          && ((fs.get(2) > 0 && fs.get(2) != r.height())
              || (fs.get(3) > 0 && fs.get(3) != r.width()))) {
        p.add(
            "renderer frames output is "
                + fs.subList(2, 4)
                + " but renderer height × width is "
                + r.height()
                + " × "
                + r.width());
      }
    }
  }

  private static void livePortrait(ModelPack pack, List<String> p) {
    PackManifest m = pack.manifest();
    PackManifest.LivePortrait lp = m.liveportrait();
    String layout = m.motionGenerator().motionLayout();
    if (layout.equals(PackManifest.LAYOUT_REFERENCE)
        && !m.motionGenerator().motionChannels().containsAll(REFERENCE_CHANNELS)) {
      p.add(
          "a LivePortrait pack driven by reference motion needs the channels "
              + REFERENCE_CHANNELS);
    }
    if (m.sourceEncoder() != null || m.renderer() != null) {
      p.add("a LivePortrait pack names its files in models, not in sourceEncoder or renderer");
    }
    if (lp.cropSize() <= 0 || lp.outputSize() <= 0 || lp.cropScale() <= 0) {
      p.add("liveportrait: cropSize, outputSize and cropScale must be positive");
    }
    if (lp.drivingCropScale() <= 0 || lp.drivingMultiplier() <= 0) {
      p.add("liveportrait: drivingCropScale and drivingMultiplier must be positive");
    }
    ModelFile app = required(pack, APPEARANCE, p);
    ModelFile mot = required(pack, MOTION_EXTRACTOR, p);
    ModelFile warp = required(pack, WARPING, p);
    if (app == null || mot == null || warp == null) {
      return;
    }
    long c = lp.cropSize();
    shape(app.inputs().get(0), List.of(1L, 3L, c, c), APPEARANCE, p);
    shape(mot.inputs().get(0), List.of(1L, 3L, c, c), MOTION_EXTRACTOR, p);
    List<String> roles = mot.outputs().stream().map(TensorSpec::roleName).toList();
    if (!roles.containsAll(MOTION_ROLES)) {
      p.add(MOTION_EXTRACTOR + " outputs " + roles + " lack some of " + MOTION_ROLES);
      return;
    }
    long k3 = size(output(mot, "exp"));
    if (k3 <= 0 || k3 % 3 != 0 || size(output(mot, "kp")) != k3) {
      p.add(MOTION_EXTRACTOR + ": exp and kp must both hold 3 × keypoints values");
      return;
    }
    for (String bins : List.of("pitch", "yaw", "roll")) {
      if (size(output(mot, bins)) < 2) {
        p.add(MOTION_EXTRACTOR + " output " + bins + " must hold the bin logits");
      }
    }
    long k = k3 / 3;
    List<String> warpRoles = warp.inputs().stream().map(TensorSpec::roleName).toList();
    if (!warpRoles.equals(WARPING_ROLES)) {
      p.add(WARPING + " inputs must be " + WARPING_ROLES + " in that order, not " + warpRoles);
      return;
    }
    if (!app.outputs().get(0).shape().equals(warp.inputs().get(0).shape())) {
      p.add(
          APPEARANCE
              + " gives "
              + app.outputs().get(0).shape()
              + " but "
              + WARPING
              + " takes feature_3d "
              + warp.inputs().get(0).shape());
    }
    shape(warp.inputs().get(1), List.of(1L, k, 3L), WARPING + " kp_driving", p);
    shape(warp.inputs().get(2), List.of(1L, k, 3L), WARPING + " kp_source", p);
    long o = lp.outputSize();
    shape(warp.outputs().get(0), List.of(1L, 3L, o, o), WARPING + " output", p);
    if (lp.stitching()) {
      mlp(pack, STITCHING, 2 * k3, k3 + 2, p);
    }
    if (lp.eyeRetargeting()) {
      mlp(pack, STITCHING_EYE, k3 + 3, k3, p);
    }
    if (lp.normalizeLip()) {
      mlp(pack, STITCHING_LIP, k3 + 2, k3, p);
    }
    if (lp.eyeRetargeting() || lp.normalizeLip()) {
      ModelFile lm = required(pack, LANDMARK, p);
      if (lm != null) {
        TensorSpec points =
            lm.outputs().stream()
                .filter(t -> t.roleName().equals("points"))
                .findFirst()
                .orElse(null);
        if (points == null || size(points) != 406) {
          p.add(LANDMARK + " needs an output of role 'points' with 203 × 2 values");
        }
      }
    }
  }

  private static void mlp(ModelPack pack, String id, long in, long out, List<String> p) {
    ModelFile f = required(pack, id, p);
    if (f != null) {
      shape(f.inputs().get(0), List.of(1L, in), id + " input", p);
      shape(f.outputs().get(0), List.of(1L, out), id + " output", p);
    }
  }

  private static ModelFile required(ModelPack pack, String id, List<String> p) {
    ModelFile f = pack.model(id);
    if (f == null) {
      p.add("models." + id + " is required by the liveportrait settings");
    }
    return f;
  }

  private static TensorSpec output(ModelFile f, String role) {
    return f.outputs().stream().filter(t -> t.roleName().equals(role)).findFirst().orElseThrow();
  }

  private static long size(TensorSpec t) {
    long n = 1;
    for (long d : t.shape()) {
      n *= d;
    }
    return n;
  }

  private static void shape(TensorSpec t, List<Long> want, String what, List<String> p) {
    if (!want.equals(t.shape())) {
      p.add(what + " '" + t.name() + "' is declared " + t.shape() + ", the family has " + want);
    }
  }

  /** A fixed second dimension (frames) of role {@code role} must be {@code want}. */
  private static void frames(
      Map<String, TensorSpec> roles, String role, int want, String what, List<String> p) {
    TensorSpec t = roles == null ? null : roles.get(role);
    if (t != null && t.shape() != null && t.shape().size() >= 2) {
      long n = t.shape().get(1);
      if (n > 0 && n != want) {
        p.add(
            "motionGenerator "
                + role
                + " '"
                + t.name()
                + "' has "
                + n
                + " frames, but "
                + what
                + " is "
                + want);
      }
    }
  }

  private static long last(TensorSpec t) {
    return t.shape() == null || t.shape().isEmpty() ? -1 : t.shape().get(t.shape().size() - 1);
  }

  private static void checkLast(TensorSpec t, int want, String what, List<String> p) {
    long l = last(t);
    if (l > 0 && l != want) {
      p.add(what + " '" + t.name() + "' has " + l + " values per frame, motionDim is " + want);
    }
  }

  private static void need(
      Map<String, TensorSpec> roles, String where, List<String> wanted, List<String> p) {
    for (String w : wanted) {
      if (roles == null || !roles.containsKey(w)) {
        p.add(where + " lacks the role '" + w + "'");
      }
    }
  }

  private static List<TensorSpec> concat(List<TensorSpec> a, List<TensorSpec> b) {
    List<TensorSpec> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
