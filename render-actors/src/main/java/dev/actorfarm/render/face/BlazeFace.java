package dev.actorfarm.render.face;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * MediaPipe's BlazeFace detectors run by ONNX Runtime: the short-range model (128², faces that fill
 * much of the view) and the full-range model (256², small faces). The vendored files and their
 * contract are described in {@code resources/blazeface/PROVENANCE.md}.
 *
 * <p>Decoding follows MediaPipe's published graph description: SSD anchors of fixed size 1 centred
 * on the cells of two feature maps (16×16 with 2 anchors and 8×8 with 6, 896 in all); a box is the
 * anchor centre plus an offset, and a size, in input pixels divided by the input side; keypoints
 * are offsets from the anchor centre the same way; scores are logits. Overlapping detections are
 * merged by weighted non-maximum suppression: each cluster (IoU above {@link #MERGE_IOU} with its
 * best member) becomes the score-weighted mean of its members' boxes and keypoints.
 *
 * <p>Deterministic: the same image gives the same faces on every node.
 */
public final class BlazeFace {

  /** MediaPipe's minimum score for both models. */
  public static final double MIN_SCORE = 0.5;

  /** The most full-range tiles one portrait is searched in: about a second on one core. */
  static final int MAX_TILES = 64;

  /** The refining window's side, in face boxes: the short-range model's framing of a close face. */
  static final double REFINE_WINDOW = 2.0;

  /** MediaPipe's suppression threshold for BlazeFace. */
  static final double MERGE_IOU = 0.3;

  private static final String FRONT = "/blazeface/face_detection_front_128x128.onnx";
  private static final String BACK = "/blazeface/face_detection_back_256x256.onnx";

  private static BlazeFace instance;

  private final Model front;
  private final Model back;

  private BlazeFace(Model front, Model back) {
    this.front = front;
    this.back = back;
  }

  /** The process-wide detector (two small sessions, loaded on first use). */
  public static synchronized BlazeFace get() throws IOException {
    if (instance == null) {
      try {
        instance = new BlazeFace(Model.load(FRONT, 128), Model.load(BACK, 256));
      } catch (OrtException e) {
        throw new IOException("cannot load the BlazeFace detector: " + e.getMessage(), e);
      }
    }
    return instance;
  }

  /**
   * Every face in an 8-bit BGR image, largest first. The short-range model looks at the whole
   * image; the full-range model at the whole image and, for faces too small for that, at
   * overlapping square tiles of half the image's shorter side.
   */
  public List<Face> detect(Mat bgr) throws IOException {
    return detect(bgr, true);
  }

  /**
   * The faces that the two models see in the whole image, without the tiles for small faces (about
   * 25 ms at any resolution rather than hundreds): a video's faces frame by frame, each frame on
   * its own, so that the same frame always gives the same faces. Largest first.
   */
  public List<Face> detectWhole(Mat bgr) throws IOException {
    return detect(bgr, false);
  }

  private List<Face> detect(Mat bgr, boolean tiles) throws IOException {
    int w = bgr.cols();
    int h = bgr.rows();
    double whole = Math.max(w, h);
    double cx = w / 2.0;
    double cy = h / 2.0;
    List<Face> raw = new ArrayList<>();
    try {
      raw.addAll(front.run(bgr, cx - whole / 2, cy - whole / 2, whole));
      raw.addAll(back.run(bgr, cx - whole / 2, cy - whole / 2, whole));
      // A face must span about 1/12 of the full-range model's view to be found; tiles of half the
      // shorter side find faces down to ~1/24 of it (a face of 45 px in a 1080p frame).
      double tile = Math.min(w, h) / 2.0;
      // Half-overlapping tiles; a panorama far wider than high would need hundreds of them, and
      // gets abutting tiles instead, up to MAX_TILES (its small faces are then missed).
      double step = tile / 2;
      if (Math.ceil(w / step) * Math.ceil(h / step) > MAX_TILES) {
        step = tile;
      }
      if (tiles && tile >= 128 && Math.ceil(w / step) * Math.ceil(h / step) <= MAX_TILES) {
        for (double ty = 0; ty + tile <= h + 1e-6; ty += step) {
          for (double tx = 0; tx + tile <= w + 1e-6; tx += step) {
            for (Face f : back.run(bgr, tx, ty, tile)) {
              if (smallAndInside(f, tx, ty, tile)) {
                raw.add(f);
              }
            }
          }
        }
      }
    } catch (OrtException e) {
      throw new IOException("face detection failed: " + e.getMessage(), e);
    }
    List<Face> merged = weightedNms(raw, MERGE_IOU);
    List<Face> faces = new ArrayList<>();
    try {
      for (Face f : merged) {
        faces.add(refine(bgr, f));
      }
    } catch (OrtException e) {
      throw new IOException("face detection failed: " + e.getMessage(), e);
    }
    faces.sort(Comparator.comparingDouble(Face::area).reversed());
    return faces;
  }

  /**
   * The face seen again by the short-range model in a window of twice its size around it, where it
   * spans half the model's input rather than a few of its pixels: its keypoints are then placed to
   * a few percent of the eye distance. The first look's face when the second finds none.
   */
  private Face refine(Mat bgr, Face f) throws OrtException {
    double side = REFINE_WINDOW * Math.max(f.width(), f.height());
    double cx = f.x() + f.width() / 2;
    double cy = f.y() + f.height() / 2;
    Face best = null;
    for (Face g : weightedNms(front.run(bgr, cx - side / 2, cy - side / 2, side), MERGE_IOU)) {
      if (iou(g, f) > 0.5 && (best == null || g.score() > best.score())) {
        best = g;
      }
    }
    return best == null ? f : best;
  }

  /**
   * Whether a tile's detection is one the tile is there for: a face small in the tile and clear of
   * its edges. A face the tile cuts gives a box and keypoints pulled towards the cut, which would
   * bias the merged detection of a face that the whole-image pass sees entire.
   */
  private static boolean smallAndInside(Face f, double tx, double ty, double tile) {
    double margin = 0.05 * tile;
    return f.width() <= 0.4 * tile
        && f.x() >= tx + margin
        && f.y() >= ty + margin
        && f.x() + f.width() <= tx + tile - margin
        && f.y() + f.height() <= ty + tile - margin;
  }

  /** MediaPipe's weighted non-maximum suppression. */
  static List<Face> weightedNms(List<Face> detections, double iouThreshold) {
    List<Face> remaining = new ArrayList<>(detections);
    remaining.sort(Comparator.comparingDouble(Face::score).reversed());
    List<Face> out = new ArrayList<>();
    while (!remaining.isEmpty()) {
      Face best = remaining.get(0);
      List<Face> cluster = new ArrayList<>();
      List<Face> rest = new ArrayList<>();
      for (Face f : remaining) {
        (iou(best, f) > iouThreshold ? cluster : rest).add(f);
      }
      double total = 0;
      double[] box = new double[4];
      double[] kp = new double[2 * Face.KEYPOINTS];
      for (Face f : cluster) {
        double s = f.score();
        total += s;
        box[0] += s * f.x();
        box[1] += s * f.y();
        box[2] += s * (f.x() + f.width());
        box[3] += s * (f.y() + f.height());
        for (int i = 0; i < kp.length; i++) {
          kp[i] += s * f.keypoints()[i];
        }
      }
      for (int i = 0; i < 4; i++) {
        box[i] /= total;
      }
      for (int i = 0; i < kp.length; i++) {
        kp[i] /= total;
      }
      out.add(new Face(box[0], box[1], box[2] - box[0], box[3] - box[1], kp, best.score()));
      remaining = rest;
    }
    return out;
  }

  public static double iou(Face a, Face b) {
    double ix = Math.min(a.x() + a.width(), b.x() + b.width()) - Math.max(a.x(), b.x());
    double iy = Math.min(a.y() + a.height(), b.y() + b.height()) - Math.max(a.y(), b.y());
    if (ix <= 0 || iy <= 0) {
      return 0;
    }
    double inter = ix * iy;
    return inter / (a.area() + b.area() - inter);
  }

  /** One detector model and its anchors. */
  private static final class Model {
    private final OrtSession session;
    private final int size;
    private final String input;
    private final float[][] anchors; // [896][2] centres in [0, 1]

    private Model(OrtSession session, int size) throws OrtException {
      this.session = session;
      this.size = size;
      this.input = session.getInputNames().iterator().next();
      this.anchors = anchors();
    }

    static Model load(String resource, int size) throws IOException, OrtException {
      byte[] bytes;
      try (InputStream in = BlazeFace.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("the render-actors jar lacks " + resource);
        }
        bytes = in.readAllBytes();
      }
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      // ORT's environment directly, not through OnnxSessions: portraits are checked at submission,
      // before `farm render` has pointed the log at its data directory, and OnnxSessions' logger
      // would fix the log's place too early.
      return new Model(
          dev.actorfarm.runtime.onnx.OnnxSessions.environment().createSession(bytes, options),
          size);
    }

    /** Anchor centres: a 16×16 map with 2 anchors per cell, then an 8×8 map with 6. */
    private static float[][] anchors() {
      float[][] a = new float[896][];
      int i = 0;
      int[][] layers = {{16, 2}, {8, 6}};
      for (int[] layer : layers) {
        int g = layer[0];
        for (int y = 0; y < g; y++) {
          for (int x = 0; x < g; x++) {
            for (int k = 0; k < layer[1]; k++) {
              a[i++] = new float[] {(x + 0.5f) / g, (y + 0.5f) / g};
            }
          }
        }
      }
      return a;
    }

    /** Faces in the square window {@code (x0, y0, side)} of the image, in image pixels. */
    List<Face> run(Mat bgr, double x0, double y0, double side) throws OrtException {
      float[] nhwc = window(bgr, x0, y0, side);
      List<Face> faces = new ArrayList<>();
      var env = dev.actorfarm.runtime.onnx.OnnxSessions.environment();
      try (OnnxTensor in =
              OnnxTensor.createTensor(env, FloatBuffer.wrap(nhwc), new long[] {1, size, size, 3});
          OrtSession.Result r = session.run(Map.of(input, in))) {
        float[] scores = new float[896];
        float[] boxes = new float[896 * 16];
        // Bound by shape, not by name or position: the 16×16 map's scores [1,512,1] and
        // regressors [1,512,16] come first in anchor order, then the 8×8 map's [1,384,*].
        for (var out : r) {
          OnnxTensor t = (OnnxTensor) out.getValue();
          long[] shape = t.getInfo().getShape();
          boolean first = shape[1] == 512;
          FloatBuffer b = t.getFloatBuffer();
          if (shape[2] == 1) {
            b.get(scores, first ? 0 : 512, b.remaining());
          } else {
            b.get(boxes, first ? 0 : 512 * 16, b.remaining());
          }
        }
        for (int i = 0; i < 896; i++) {
          double logit = Math.max(-100, Math.min(100, scores[i]));
          double score = 1 / (1 + Math.exp(-logit));
          if (score < MIN_SCORE) {
            continue;
          }
          int b = i * 16;
          double ax = anchors[i][0];
          double ay = anchors[i][1];
          double cx = ax + boxes[b] / size;
          double cy = ay + boxes[b + 1] / size;
          double bw = boxes[b + 2] / size;
          double bh = boxes[b + 3] / size;
          if (bw <= 0 || bh <= 0) {
            continue;
          }
          double[] kp = new double[2 * Face.KEYPOINTS];
          for (int k = 0; k < Face.KEYPOINTS; k++) {
            kp[2 * k] = x0 + side * (ax + boxes[b + 4 + 2 * k] / size);
            kp[2 * k + 1] = y0 + side * (ay + boxes[b + 5 + 2 * k] / size);
          }
          faces.add(
              new Face(
                  x0 + side * (cx - bw / 2),
                  y0 + side * (cy - bh / 2),
                  side * bw,
                  side * bh,
                  kp,
                  score));
        }
      }
      return faces;
    }

    /**
     * The window resampled to {@code size²}, RGB in [-1, 1], NHWC; parts outside the image are 0
     * (mid grey), as MediaPipe pads a letterboxed input.
     */
    private float[] window(Mat bgr, double x0, double y0, double side) {
      double scale = size / side;
      int rx0 = (int) Math.max(0, Math.floor(x0));
      int ry0 = (int) Math.max(0, Math.floor(y0));
      int rx1 = (int) Math.min(bgr.cols(), Math.ceil(x0 + side));
      int ry1 = (int) Math.min(bgr.rows(), Math.ceil(y0 + side));
      float[] out = new float[size * size * 3];
      if (rx1 <= rx0 || ry1 <= ry0) {
        return out;
      }
      int ox = (int) Math.max(0, Math.round((rx0 - x0) * scale));
      int oy = (int) Math.max(0, Math.round((ry0 - y0) * scale));
      if (ox >= size || oy >= size) {
        return out;
      }
      int pw = Math.min(size - ox, Math.max(1, (int) Math.round((rx1 - rx0) * scale)));
      int ph = Math.min(size - oy, Math.max(1, (int) Math.round((ry1 - ry0) * scale)));
      Mat part = new Mat();
      opencv_imgproc.resize(
          new Mat(bgr, new Rect(rx0, ry0, rx1 - rx0, ry1 - ry0)),
          part,
          new Size(pw, ph),
          0,
          0,
          opencv_imgproc.INTER_AREA);
      Mat canvas = new Mat(size, size, opencv_core.CV_8UC3, new Scalar(128, 128, 128, 0));
      part.copyTo(new Mat(canvas, new Rect(ox, oy, pw, ph)));
      UByteIndexer idx = canvas.createIndexer();
      int i = 0;
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          for (int c = 2; c >= 0; c--) {
            out[i++] = idx.get(y, x, c) / 127.5f - 1f;
          }
        }
      }
      idx.close();
      return out;
    }
  }
}
