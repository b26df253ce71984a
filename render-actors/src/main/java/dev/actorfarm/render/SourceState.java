package dev.actorfarm.render;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.face.CropFrame;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.PackManifest;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Everything a render worker needs about a job's portrait, computed once per (portrait, face box,
 * pack) and cached: the portrait (cropped to even dimensions), the square face crop and its
 * placement, the appearance tensors of the pack's source encoder, and the feathered paste-back
 * mask. {@link #composite} turns rendered crops into output frames.
 */
public final class SourceState {

  /**
   * Width of the paste-back feather, as a fraction of the crop side. A renderer's warp should be
   * the identity in it (the reference pack's warps vanish beyond 0.8 of the half-side), so that
   * what the feather blends is one picture with itself, never two positions of it.
   */
  private static final double FEATHER = 0.10;

  /** The role of the face's keypoints in normalised crop coordinates, {@code [1, 6, 2]}. */
  public static final String LANDMARKS = "landmarks";

  /** The renderer's optional output role: how much of each rendered pixel to paste back. */
  public static final String ALPHA = "alpha";

  private final Mat portrait; // 8UC3 BGR, even dimensions
  private final Mat portraitRoi; // 32FC3 of the crop's footprint
  private final Mat maskRoi; // 32FC3 feathered mask of the crop's footprint
  private final Mat pasteMap; // 2x3 affine: ROI pixel -> crop pixel
  private final Rect roi;

  /** The rendered frame's side: the renderer's output size, which may differ from the crop's. */
  private final int renderSize;

  private final boolean cropOnly;
  private final Face face;
  private final Map<String, float[]> appearance;
  private final Map<String, long[]> appearanceShapes;
  private final dev.actorfarm.render.liveportrait.LivePortraitEngine.Source livePortrait;

  private SourceState(
      Mat portrait,
      Mat portraitRoi,
      Mat maskRoi,
      Mat pasteMap,
      Rect roi,
      int renderSize,
      boolean cropOnly,
      Face face,
      Map<String, float[]> appearance,
      Map<String, long[]> appearanceShapes,
      dev.actorfarm.render.liveportrait.LivePortraitEngine.Source livePortrait) {
    this.livePortrait = livePortrait;
    this.portrait = portrait;
    this.portraitRoi = portraitRoi;
    this.maskRoi = maskRoi;
    this.pasteMap = pasteMap;
    this.roi = roi;
    this.renderSize = renderSize;
    this.cropOnly = cropOnly;
    this.face = face;
    this.appearance = appearance;
    this.appearanceShapes = appearanceShapes;
  }

  /**
   * Builds the source state of {@code bgr}: locates the face and its keypoints (inside {@code
   * faceBox} when one is given), crops it upright, runs the source encoder.
   */
  public static SourceState build(
      Mat bgr, FaceBox faceBox, PackManifest pack, OrtSession sourceEncoder, boolean cropOnly)
      throws IOException, OrtException {
    PackManifest.SourceEncoder spec = pack.sourceEncoder();
    // The renderer's frames may be larger than the encoder's crop: the paste-back maps frames of
    // the renderer's own size onto the same crop.
    int renderSize = pack.renderer().width();
    Mat portrait = Portraits.evenCrop(bgr);
    Face face = locate(portrait, faceBox);
    int s = spec.cropSize();
    CropFrame frame = CropFrame.of(face, spec.cropScale(), spec.cropShiftY(), s);
    Mat crop = new Mat();
    opencv_imgproc.warpAffine(
        portrait,
        crop,
        frame.cropToPortrait(),
        new Size(s, s),
        opencv_imgproc.INTER_CUBIC | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    float[] landmarks = frame.landmarks(face);
    long[] landmarkShape = {1, Face.KEYPOINTS, 2};
    Map<String, float[]> appearance = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    var env = OnnxSessions.environment();
    Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
    try {
      inputs.put(
          spec.inputs().get("image").name(),
          OnnxTensor.createTensor(
              env, FloatBuffer.wrap(toChwRgb(crop, s)), new long[] {1, 3, s, s}));
      PackManifest.TensorSpec landmarkInput = spec.inputs().get(LANDMARKS);
      if (landmarkInput != null) {
        inputs.put(
            landmarkInput.name(),
            OnnxTensor.createTensor(env, FloatBuffer.wrap(landmarks), landmarkShape));
      }
      try (OrtSession.Result r = sourceEncoder.run(inputs)) {
        for (var e : spec.outputs().entrySet()) {
          OnnxTensor t = (OnnxTensor) r.get(e.getValue().name()).orElseThrow();
          FloatBuffer b = t.getFloatBuffer();
          float[] values = new float[b.remaining()];
          b.get(values);
          appearance.put(e.getKey(), values);
          shapes.put(e.getKey(), t.getInfo().getShape());
        }
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
    // A renderer may take the landmarks whether or not its source encoder passes them on.
    appearance.putIfAbsent(LANDMARKS, landmarks);
    shapes.putIfAbsent(LANDMARKS, landmarkShape);
    return pasteBack(
        portrait,
        frame.resized(renderSize),
        renderSize,
        FEATHER,
        cropOnly,
        face,
        appearance,
        shapes,
        null);
  }

  /**
   * The source state of a LivePortrait-family pack: LivePortrait's crop of the face, its prepared
   * source (feature volume, keypoints, ratios), and a paste-back of the renderer's output size.
   */
  public static SourceState buildLivePortrait(
      Mat bgr,
      FaceBox faceBox,
      dev.actorfarm.render.liveportrait.LivePortraitEngine engine,
      boolean cropOnly)
      throws IOException, OrtException {
    Mat portrait = Portraits.evenCrop(bgr);
    Face face = locate(portrait, faceBox);
    var lp = engine.prepare(portrait, face);
    int o = engine.settings().outputSize();
    return pasteBack(
        portrait,
        engine.sourceCrop(face, o),
        o,
        engine.settings().pasteFeather(),
        cropOnly,
        face,
        Map.of(),
        Map.of(),
        lp);
  }

  private static Face locate(Mat portrait, FaceBox faceBox) throws IOException {
    return faceBox != null
        ? FaceLocator.within(portrait, faceBox)
        : FaceLocator.detect(portrait)
            .orElseThrow(
                () -> new IOException("no face found in the portrait; give one with --face-box"));
  }

  private static SourceState pasteBack(
      Mat portrait,
      CropFrame frame,
      int s,
      double feather,
      boolean cropOnly,
      Face face,
      Map<String, float[]> appearance,
      Map<String, long[]> shapes,
      dev.actorfarm.render.liveportrait.LivePortraitEngine.Source lp) {
    Rect roi = frame.footprint(portrait.cols(), portrait.rows());
    Mat pasteMap = frame.roiToCrop(roi);
    Mat mask = new Mat();
    opencv_imgproc.warpAffine(
        featherMask(s, feather),
        mask,
        pasteMap,
        roi.size(),
        opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_CONSTANT,
        new Scalar(0, 0, 0, 0));
    keepPortraitEdges(mask, roi, portrait.cols(), portrait.rows(), frame.edgeBand());
    Mat portraitRoi = new Mat();
    new Mat(portrait, roi).convertTo(portraitRoi, opencv_core.CV_32FC3, 1 / 255.0, 0);
    return new SourceState(
        portrait, portraitRoi, mask, pasteMap, roi, s, cropOnly, face, appearance, shapes, lp);
  }

  /**
   * Fades the paste-back mask to 0 over {@code band} pixels at the portrait's edges: where the crop
   * reaches past the portrait it holds replicated border pixels, and a warp that pulls them inwards
   * must not show them.
   */
  private static void keepPortraitEdges(Mat mask, Rect roi, int width, int height, double band) {
    FloatIndexer idx = mask.createIndexer();
    for (int y = 0; y < roi.height(); y++) {
      for (int x = 0; x < roi.width(); x++) {
        int px = roi.x() + x;
        int py = roi.y() + y;
        double d = Math.min(Math.min(px, width - 1 - px), Math.min(py, height - 1 - py));
        if (d < band) {
          double t = Math.max(0, d / band);
          float f = (float) (t * t * (3 - 2 * t));
          for (int c = 0; c < 3; c++) {
            idx.put(y, x, c, idx.get(y, x, c) * f);
          }
        }
      }
    }
    idx.close();
  }

  /** 1 inside, falling smoothly to 0 over the outer {@link #FEATHER} of the crop, 3 channels. */
  private static Mat featherMask(int s, double feather) {
    Mat m = new Mat(s, s, opencv_core.CV_32FC3);
    FloatIndexer idx = m.createIndexer();
    double band = feather * s;
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        double d = Math.min(Math.min(x, s - 1 - x), Math.min(y, s - 1 - y));
        double t = Math.min(1, d / band);
        float v = (float) (t * t * (3 - 2 * t));
        idx.put(y, x, 0, v);
        idx.put(y, x, 1, v);
        idx.put(y, x, 2, v);
      }
    }
    idx.close();
    return m;
  }

  /** 8-bit BGR crop → CHW float RGB in [0, 1]. */
  public static float[] toChwRgb(Mat bgr, int s) {
    float[] out = new float[3 * s * s];
    UByteIndexer idx = bgr.createIndexer();
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        for (int c = 0; c < 3; c++) {
          out[(2 - c) * s * s + y * s + x] = idx.get(y, x, c) / 255f;
        }
      }
    }
    idx.close();
    return out;
  }

  /**
   * Frame {@code b} of a rendered batch ({@code frames [B, 3, S, S]}) composited into an output
   * frame: the portrait, with the rendered crop pasted back through the feathered mask times the
   * renderer's {@code alpha [B, 1, S, S]} when it gives one (where it is 0, the portrait's own
   * pixels stay).
   */
  public Mat composite(FrameRenderer.Batch batch, int b) {
    java.nio.FloatBuffer frames = batch.frames();
    java.nio.FloatBuffer alpha = batch.alpha();
    int s = renderSize;
    int plane = s * s;
    int base = b * 3 * plane;
    // Planar RGB to interleaved BGR: one merge over views of the renderer's output buffer, no
    // copy and no per-pixel loop (paste-back 0.81 → 0.65 ms per frame at 512, BENCHMARKS.md).
    org.bytedeco.javacpp.FloatPointer all = new org.bytedeco.javacpp.FloatPointer(frames);
    Mat blue = plane(all, base + 2 * plane, s);
    Mat green = plane(all, base + plane, s);
    Mat red = plane(all, base, s);
    Mat frame = new Mat();
    opencv_core.merge(new org.bytedeco.opencv.opencv_core.MatVector(blue, green, red), frame);
    Mat out = new Mat();
    if (cropOnly) {
      frame.convertTo(out, opencv_core.CV_8UC3, 255, 0);
      return out;
    }
    Mat warped = new Mat();
    opencv_imgproc.warpAffine(
        frame,
        warped,
        pasteMap,
        roi.size(),
        opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    Mat weight = maskRoi;
    if (alpha != null) {
      org.bytedeco.javacpp.FloatPointer alphas = new org.bytedeco.javacpp.FloatPointer(alpha);
      Mat a = new Mat();
      opencv_imgproc.warpAffine(
          plane(alphas, b * plane, s),
          a,
          pasteMap,
          roi.size(),
          opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
          opencv_core.BORDER_CONSTANT,
          new Scalar());
      Mat a3 = new Mat();
      opencv_core.merge(new org.bytedeco.opencv.opencv_core.MatVector(a, a, a), a3);
      weight = new Mat();
      opencv_core.multiply(maskRoi, a3, weight);
    }
    Mat diff = new Mat();
    opencv_core.subtract(warped, portraitRoi, diff);
    opencv_core.multiply(diff, weight, diff);
    opencv_core.add(diff, portraitRoi, diff);
    out = portrait.clone();
    Mat target = new Mat(out, roi);
    diff.convertTo(target, opencv_core.CV_8UC3, 255, 0);
    return out;
  }

  /** A view (no copy) of one {@code s × s} plane of {@code values}, from {@code offset}. */
  private static Mat plane(org.bytedeco.javacpp.FloatPointer values, int offset, int s) {
    // getPointer: an absolute address (a position on a void* argument would count bytes).
    return new Mat(s, s, opencv_core.CV_32FC1, values.getPointer(offset));
  }

  public int outputWidth() {
    return cropOnly ? renderSize : portrait.cols();
  }

  public int outputHeight() {
    return cropOnly ? renderSize : portrait.rows();
  }

  /** The prepared LivePortrait source, or null for a pack of another family. */
  public dev.actorfarm.render.liveportrait.LivePortraitEngine.Source livePortrait() {
    return livePortrait;
  }

  public Face face() {
    return face;
  }

  public Map<String, float[]> appearance() {
    return appearance;
  }

  public long[] appearanceShape(String role) {
    return appearanceShapes.get(role);
  }
}
