package dev.actorfarm.render;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.protocol.FaceBox;
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

  /** Width of the paste-back feather, as a fraction of the crop side. */
  private static final double FEATHER = 0.15;

  private final Mat portrait; // 8UC3 BGR, even dimensions
  private final Mat portraitRoi; // 32FC3 of the crop's footprint
  private final Mat maskRoi; // 32FC3 feathered mask of the crop's footprint
  private final Mat pasteMap; // 2x3 affine: ROI pixel -> crop pixel
  private final Rect roi;
  private final int cropSize;
  private final boolean cropOnly;
  private final FaceBox face;
  private final Map<String, float[]> appearance;
  private final Map<String, long[]> appearanceShapes;

  private SourceState(
      Mat portrait,
      Mat portraitRoi,
      Mat maskRoi,
      Mat pasteMap,
      Rect roi,
      int cropSize,
      boolean cropOnly,
      FaceBox face,
      Map<String, float[]> appearance,
      Map<String, long[]> appearanceShapes) {
    this.portrait = portrait;
    this.portraitRoi = portraitRoi;
    this.maskRoi = maskRoi;
    this.pasteMap = pasteMap;
    this.roi = roi;
    this.cropSize = cropSize;
    this.cropOnly = cropOnly;
    this.face = face;
    this.appearance = appearance;
    this.appearanceShapes = appearanceShapes;
  }

  /**
   * Builds the source state of {@code bgr}: locates the face (unless {@code faceBox} is given),
   * crops, runs the source encoder.
   */
  public static SourceState build(
      Mat bgr,
      FaceBox faceBox,
      PackManifest.SourceEncoder spec,
      OrtSession sourceEncoder,
      boolean cropOnly)
      throws IOException, OrtException {
    Mat portrait = new Mat(bgr, new Rect(0, 0, bgr.cols() & ~1, bgr.rows() & ~1)).clone();
    FaceBox face = faceBox;
    if (face == null) {
      face =
          FaceLocator.detect(portrait)
              .orElseThrow(
                  () -> new IOException("no face found in the portrait; give one with --face-box"));
    }
    int s = spec.cropSize();
    double side = spec.cropScale() * face.getWidth();
    double cx = face.getX() + face.getWidth() / 2.0;
    double cy = face.getY() + face.getHeight() / 2.0 + spec.cropShiftY() * face.getHeight();
    double x0 = cx - side / 2;
    double y0 = cy - side / 2;
    double scale = s / side;
    // Crop: crop pixel -> portrait pixel, sampled with border replication outside the image.
    Mat cropMap = affine(1 / scale, x0, y0);
    Mat crop = new Mat();
    opencv_imgproc.warpAffine(
        portrait,
        crop,
        cropMap,
        new Size(s, s),
        opencv_imgproc.INTER_AREA | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    float[] chw = toChwRgb(crop, s);
    Map<String, float[]> appearance = new LinkedHashMap<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    var env = OnnxSessions.environment();
    String inputName = spec.inputs().get("image").name();
    try (OnnxTensor in =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(chw), new long[] {1, 3, s, s});
        OrtSession.Result r = sourceEncoder.run(Map.of(inputName, in))) {
      for (var e : spec.outputs().entrySet()) {
        OnnxTensor t = (OnnxTensor) r.get(e.getValue().name()).orElseThrow();
        FloatBuffer b = t.getFloatBuffer();
        float[] values = new float[b.remaining()];
        b.get(values);
        appearance.put(e.getKey(), values);
        shapes.put(e.getKey(), t.getInfo().getShape());
      }
    }
    int rx0 = (int) Math.max(0, Math.floor(x0));
    int ry0 = (int) Math.max(0, Math.floor(y0));
    int rx1 = (int) Math.min(portrait.cols(), Math.ceil(x0 + side));
    int ry1 = (int) Math.min(portrait.rows(), Math.ceil(y0 + side));
    Rect roi = new Rect(rx0, ry0, rx1 - rx0, ry1 - ry0);
    Mat pasteMap = affine(scale, scale * (rx0 - x0), scale * (ry0 - y0));
    Mat mask = new Mat();
    opencv_imgproc.warpAffine(
        featherMask(s),
        mask,
        pasteMap,
        roi.size(),
        opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_CONSTANT,
        new Scalar(0, 0, 0, 0));
    Mat portraitRoi = new Mat();
    new Mat(portrait, roi).convertTo(portraitRoi, opencv_core.CV_32FC3, 1 / 255.0, 0);
    return new SourceState(
        portrait, portraitRoi, mask, pasteMap, roi, s, cropOnly, face, appearance, shapes);
  }

  /** [[a, 0, tx], [0, a, ty]] as a 2x3 double matrix. */
  private static Mat affine(double a, double tx, double ty) {
    Mat m = new Mat(2, 3, opencv_core.CV_64F);
    var idx = m.<org.bytedeco.javacpp.indexer.DoubleIndexer>createIndexer();
    idx.put(0, 0, a).put(0, 1, 0).put(0, 2, tx);
    idx.put(1, 0, 0).put(1, 1, a).put(1, 2, ty);
    idx.close();
    return m;
  }

  /** 1 inside, falling smoothly to 0 over the outer {@link #FEATHER} of the crop, 3 channels. */
  private static Mat featherMask(int s) {
    Mat m = new Mat(s, s, opencv_core.CV_32FC3);
    FloatIndexer idx = m.createIndexer();
    double band = FEATHER * s;
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
  static float[] toChwRgb(Mat bgr, int s) {
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

  /** Frame {@code b} of a rendered batch {@code [B, 3, S, S]} composited into an output frame. */
  public Mat composite(java.nio.FloatBuffer frames, int b) {
    int s = cropSize;
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
    Mat diff = new Mat();
    opencv_core.subtract(warped, portraitRoi, diff);
    opencv_core.multiply(diff, maskRoi, diff);
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
    return cropOnly ? cropSize : portrait.cols();
  }

  public int outputHeight() {
    return cropOnly ? cropSize : portrait.rows();
  }

  public FaceBox face() {
    return face;
  }

  public Map<String, float[]> appearance() {
    return appearance;
  }

  public long[] appearanceShape(String role) {
    return appearanceShapes.get(role);
  }
}
