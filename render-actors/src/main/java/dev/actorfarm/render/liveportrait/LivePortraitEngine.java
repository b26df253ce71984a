package dev.actorfarm.render.liveportrait;

import static dev.actorfarm.runtime.pack.PackChecks.*;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.render.face.CropFrame;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath.Driven;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath.KpInfo;
import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The LivePortrait family's source and render stages as host pipelines over the pack's files
 * (FasterLivePortrait's {@code liveportrait_onnx} set), after LivePortrait's pipeline:
 *
 * <ul>
 *   <li>once per source: the 256² crop ({@link CropFrame#liveportrait}), the appearance feature
 *       volume f_s, the source's keypoint info and x_s, the 203 landmarks' eye and lip ratios, and
 *       the lip-normalisation delta;
 *   <li>per frame: the driven keypoints x_d from a motion frame (reference channels as expression
 *       edits, or the JoyVASA layout relative to the job's anchor frame), eye retargeting,
 *       stitching, the driving multiplier, then warping_spade(f_s, x_d, x_s) at the output size.
 * </ul>
 *
 * f_s is made into a native tensor once per source and fed to every frame from there.
 */
public final class LivePortraitEngine implements AutoCloseable {

  private final PackManifest.LivePortrait lp;
  private final String layout;
  private final List<String> channels;
  private final OnnxModel appearance;
  private final MotionExtractor motion;
  private final OnnxModel warping;
  private final OnnxModel stitching;
  private final OnnxModel eye;
  private final OnnxModel lip;
  private final OnnxModel landmark;
  private final List<Long> featureShape;
  private final FloatBuffer out;
  private final OnnxTensor outTensor;

  /** The source whose native tensors f_s and x_s are {@link #feature} and {@link #kpSource}. */
  private Source bound;

  private OnnxTensor feature;
  private OnnxTensor kpSource;

  /**
   * Everything about one source portrait that every frame reuses, on the heap: a render node's
   * workers share it through the source cache, and each worker's engine makes its own native
   * tensors of it ({@link #bind}).
   */
  public record Source(
      KpInfo info,
      float[] xs,
      double[] eyeRatios,
      double lipRatio,
      float[] lipNormalisation,
      float[] feature) {}

  public LivePortraitEngine(ModelPack pack, String executionProvider, int threads)
      throws IOException {
    PackManifest m = pack.manifest();
    this.lp = m.liveportrait();
    this.layout = m.motionGenerator().motionLayout();
    this.channels = m.motionGenerator().motionChannels();
    this.appearance = OnnxModel.open(pack, APPEARANCE, executionProvider, threads);
    this.motion = new MotionExtractor(pack, executionProvider, threads);
    this.warping = OnnxModel.open(pack, WARPING, executionProvider, threads);
    this.stitching =
        lp.stitching() ? OnnxModel.open(pack, STITCHING, executionProvider, threads) : null;
    this.eye =
        lp.eyeRetargeting()
            ? OnnxModel.open(pack, STITCHING_EYE, executionProvider, threads)
            : null;
    this.lip =
        lp.normalizeLip() ? OnnxModel.open(pack, STITCHING_LIP, executionProvider, threads) : null;
    this.landmark =
        lp.eyeRetargeting() || lp.normalizeLip()
            ? OnnxModel.open(pack, LANDMARK, executionProvider, threads)
            : null;
    this.featureShape = pack.model(WARPING).inputs().get(0).shape();
    int o = lp.outputSize();
    this.out =
        ByteBuffer.allocateDirect(3 * o * o * Float.BYTES)
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    try {
      this.outTensor =
          OnnxTensor.createTensor(OnnxSessions.environment(), out, new long[] {1, 3, o, o});
    } catch (OrtException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public PackManifest.LivePortrait settings() {
    return lp;
  }

  /** The crop LivePortrait's networks see of {@code face}, at {@code size}. */
  public CropFrame sourceCrop(Face face, int size) {
    return CropFrame.liveportrait(face, lp.cropScale(), lp.cropShiftY(), size);
  }

  /** Prepares {@code portrait}'s {@code face}. */
  public Source prepare(Mat portrait, Face face) throws IOException, OrtException {
    int c = lp.cropSize();
    float[] img = crop(portrait, sourceCrop(face, c), c);
    Map<String, float[]> app =
        appearance.run(Map.of("img", img), Map.of("img", new long[] {1, 3, c, c}));
    float[] feature = app.values().iterator().next();
    KpInfo info = extract(img);
    float[] xs = LivePortraitMath.keypoints(info);
    double[] eyes = {1, 1};
    double lipRatio = 0;
    float[] lipDelta = null;
    if (landmark != null) {
      float[] points = landmarks(portrait, face);
      eyes = LivePortraitMath.eyeRatios(points);
      lipRatio = LivePortraitMath.lipRatio(points);
      if (lip != null && lipRatio >= lp.lipNormalizeThreshold()) {
        lipDelta = mlp(lip, LivePortraitMath.concat(xs, new float[] {(float) lipRatio, 0f}));
      }
    }
    return new Source(info, xs, eyes, lipRatio, lipDelta, feature);
  }

  /**
   * Makes {@code s}'s f_s and x_s native tensors once, for all the frames rendered of it in a row
   * (the previous source's are freed): what a worker feeds warping_spade on every frame.
   */
  private void bind(Source s) throws OrtException {
    if (s == bound) {
      return;
    }
    unbind();
    long[] shape = featureShape.stream().mapToLong(Long::longValue).toArray();
    feature = warping.tensor(warping.input("feature_3d").name(), s.feature(), shape);
    kpSource =
        warping.tensor(
            warping.input("kp_source").name(), s.xs(), new long[] {1, s.xs().length / 3, 3});
    bound = s;
  }

  private void unbind() {
    if (feature != null) {
      feature.close();
      kpSource.close();
    }
    feature = null;
    kpSource = null;
    bound = null;
  }

  /** The pack's motion extractor on a crop {@code [3 × S × S]}: pose in degrees. */
  public KpInfo extract(float[] img) throws OrtException {
    return motion.extract(img);
  }

  /** The 203 landmarks in the 224² crop LivePortrait's landmark runner takes (scale 1.5). */
  private float[] landmarks(Mat portrait, Face face) throws OrtException {
    int n = 224;
    float[] img = crop(portrait, CropFrame.liveportrait(face, 1.5, -0.1, n), n);
    Map<String, float[]> r =
        landmark.run(Map.of("input", img), Map.of("input", new long[] {1, 3, n, n}));
    return r.get("points");
  }

  /**
   * The driven keypoints x_d for motion frame {@code frame}. A window with an {@code anchor} is in
   * the JoyVASA layout, read relative to the anchor (generated motion of a JoyVASA-layout pack, or
   * the pack's own motion extractor on a driving video); one without is in the pack's generator's
   * reference channels.
   */
  public float[] drivenKeypoints(Source s, float[] frame, float[] anchor) throws OrtException {
    Driven d;
    float eyelid = 0;
    if (anchor == null && layout.equals(PackManifest.LAYOUT_JOYVASA)) {
      throw new IllegalStateException("a JoyVASA-layout motion window came without its anchor");
    }
    if (anchor != null) {
      d =
          LivePortraitMath.relative(
              s.info(),
              MotionExtractor.fromJoyvasa(frame, s.info().kp()),
              MotionExtractor.fromJoyvasa(anchor, s.info().kp()));
    } else {
      ReferenceMotion r = ReferenceMotion.of(channels, frame);
      d = r.drive(s.info(), eye != null);
      eyelid = r.eyelid();
    }
    float[] xd = LivePortraitMath.driven(s.info().kp(), d);
    if (s.lipNormalisation() != null) {
      add(xd, s.lipNormalisation());
    }
    if (eye != null && eyelid > 0.01f) {
      double open = (s.eyeRatios()[0] + s.eyeRatios()[1]) / 2 * (1 - Math.min(1, eyelid));
      add(
          xd,
          mlp(
              eye,
              LivePortraitMath.concat(
                  s.xs(),
                  new float[] {(float) s.eyeRatios()[0], (float) s.eyeRatios()[1], (float) open})));
    }
    if (stitching != null) {
      LivePortraitMath.stitch(xd, mlp(stitching, LivePortraitMath.concat(s.xs(), xd)));
    }
    LivePortraitMath.multiply(s.xs(), xd, lp.drivingMultiplier());
    return xd;
  }

  /** Renders one frame: {@code [3 × O × O]} in [0, 1], valid until the next call. */
  public FloatBuffer render(Source s, float[] frame, float[] anchor) throws OrtException {
    bind(s);
    float[] xd = drivenKeypoints(s, frame, anchor);
    try (OnnxTensor kd =
        warping.tensor(warping.input("kp_driving").name(), xd, new long[] {1, xd.length / 3, 3})) {
      Map<String, OnnxTensor> in = new LinkedHashMap<>();
      in.put(warping.input("feature_3d").name(), feature);
      in.put(warping.input("kp_driving").name(), kd);
      in.put(warping.input("kp_source").name(), kpSource);
      OrtSession session = warping.session();
      String outName = warping.output("out").name();
      if (warping.outputIsFloat32(outName)) {
        session.run(in, Map.of(outName, outTensor)).close();
      } else {
        try (OrtSession.Result r = session.run(in)) {
          float[] v = OnnxModel.values((OnnxTensor) r.get(outName).orElseThrow());
          out.clear();
          out.put(v);
        }
      }
    }
    return out.duplicate().clear();
  }

  private static float[] mlp(OnnxModel m, float[] input) throws OrtException {
    String role = m.inputs().get(0).roleName();
    return m.run(Map.of(role, input), Map.of(role, new long[] {1, input.length}))
        .values()
        .iterator()
        .next();
  }

  private static void add(float[] a, float[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  /** The crop of {@code frame} through {@code c} as CHW RGB in [0, 1]. */
  public static float[] crop(Mat bgr, CropFrame c, int size) {
    Mat crop = new Mat();
    opencv_imgproc.warpAffine(
        bgr,
        crop,
        c.cropToPortrait(),
        new Size(size, size),
        opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    float[] out = dev.actorfarm.render.SourceState.toChwRgb(crop, size);
    crop.close();
    return out;
  }

  @Override
  public void close() throws OrtException {
    unbind();
    outTensor.close();
    motion.close();
    for (OnnxModel m : new OnnxModel[] {appearance, warping, stitching, eye, lip, landmark}) {
      if (m != null) {
        m.close();
      }
    }
  }
}
