package dev.actorfarm.video;

import dev.actorfarm.render.face.Face;
import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The 68 landmarks (dlib's iBUG 300-W layout) of a face found by BlazeFace. The face is first
 * turned upright along its eye line and scaled to a fixed eye distance in a small grey crop, so
 * that the model sees every face, tilted or small or in a 4K frame, the way it was trained:
 * upright, at a known size. The model's box is the one that puts its mean shape's eyes and mouth on
 * BlazeFace's keypoints. Points come back in the frame's pixels.
 */
public final class FaceLandmarks {

  /** Side of the upright crop; the face fills about half of it. */
  static final int CROP = 320;

  /** Eye distance in the crop: about 2.5 times the 68-point model's typical training faces' 20. */
  static final double IOD_PX = 96;

  /** iBUG 300-W indices. */
  public static final int JAW_FIRST = 0;

  public static final int JAW_LAST = 16;
  public static final int BROW_FIRST = 17;
  public static final int BROW_LAST = 26;
  public static final int NOSE_TIP = 30;
  public static final int EYE_A_FIRST = 36;
  public static final int EYE_B_FIRST = 42;
  public static final int MOUTH_LEFT = 48;
  public static final int MOUTH_RIGHT = 54;
  public static final int INNER_FIRST = 60;

  private final ShapePredictor model;
  private final double[] meanEyeA;
  private final double[] meanEyeB;
  private final double[] meanMouth;

  public FaceLandmarks(ShapePredictor model) {
    if (model.points() != 68) {
      throw new IllegalArgumentException(
          "the landmark model has " + model.points() + " points; 68 (iBUG 300-W) are needed");
    }
    this.model = model;
    float[] mean = model.meanShape();
    meanEyeA = centroid(mean, EYE_A_FIRST, 6);
    meanEyeB = centroid(mean, EYE_B_FIRST, 6);
    meanMouth = centroid(mean, MOUTH_LEFT, 20);
  }

  /** Loads dlib's model from {@code file}; see {@link ShapePredictor#load}. */
  public static FaceLandmarks load(Path file) throws IOException {
    return new FaceLandmarks(ShapePredictor.load(file));
  }

  /** The 68 landmarks of {@code face} in an 8-bit BGR frame, as 136 pixel coordinates. */
  public float[] fit(Mat bgr, Face face) {
    double ex = (face.kx(Face.EYE_A) + face.kx(Face.EYE_B)) / 2;
    double ey = (face.ky(Face.EYE_A) + face.ky(Face.EYE_B)) / 2;
    double cx = (ex + face.kx(Face.MOUTH)) / 2;
    double cy = (ey + face.ky(Face.MOUTH)) / 2;
    double roll = face.roll();
    double s = IOD_PX / Math.max(face.interOcular(), 1e-3);
    double cos = Math.cos(roll) * s;
    double sin = Math.sin(roll) * s;
    // frame -> crop: rotate by -roll about the face centre, scale, centre it in the crop.
    double[] m = {
      cos, sin, CROP / 2.0 - (cos * cx + sin * cy), -sin, cos, CROP / 2.0 - (-sin * cx + cos * cy)
    };
    Mat affine = new Mat(2, 3, org.bytedeco.opencv.global.opencv_core.CV_64F);
    var idx = affine.createIndexer();
    try {
      for (int i = 0; i < 6; i++) {
        ((org.bytedeco.javacpp.indexer.DoubleIndexer) idx).put(i / 3, i % 3, m[i]);
      }
    } finally {
      idx.release();
    }
    byte[] gray = new byte[CROP * CROP];
    try (Mat crop = new Mat();
        Mat g = new Mat()) {
      opencv_imgproc.warpAffine(
          bgr,
          crop,
          affine,
          new Size(CROP, CROP),
          opencv_imgproc.INTER_LINEAR,
          org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT,
          new Scalar(0, 0, 0, 0));
      if (crop.channels() == 1) {
        crop.copyTo(g);
      } else {
        opencv_imgproc.cvtColor(crop, g, opencv_imgproc.COLOR_BGR2GRAY);
      }
      g.data().get(gray);
    } finally {
      affine.close();
    }
    double[] eyeA = apply(m, face.kx(Face.EYE_A), face.ky(Face.EYE_A));
    double[] eyeB = apply(m, face.kx(Face.EYE_B), face.ky(Face.EYE_B));
    double[] mouth = apply(m, face.kx(Face.MOUTH), face.ky(Face.MOUTH));
    float[] pts = model.predict(gray, CROP, CROP, box(eyeA, eyeB, mouth));
    // Back to the frame: the inverse of the similarity above.
    double det = m[0] * m[4] - m[1] * m[3];
    float[] out = new float[pts.length];
    for (int i = 0; i < pts.length / 2; i++) {
      double u = pts[2 * i] - m[2];
      double v = pts[2 * i + 1] - m[5];
      out[2 * i] = (float) ((m[4] * u - m[1] * v) / det);
      out[2 * i + 1] = (float) ((-m[3] * u + m[0] * v) / det);
    }
    return out;
  }

  /**
   * The model's box (left, top, right, bottom) whose scale and offset put the mean shape's eye and
   * mouth centres nearest to the given ones (least squares, no rotation: the crop is upright).
   */
  private double[] box(double[] eyeA, double[] eyeB, double[] mouth) {
    double[][] from = {meanEyeA, meanEyeB, meanMouth};
    double[][] to = {eyeA, eyeB, mouth};
    double fx = 0;
    double fy = 0;
    double tx = 0;
    double ty = 0;
    for (int i = 0; i < 3; i++) {
      fx += from[i][0] / 3;
      fy += from[i][1] / 3;
      tx += to[i][0] / 3;
      ty += to[i][1] / 3;
    }
    double num = 0;
    double den = 0;
    for (int i = 0; i < 3; i++) {
      double ax = from[i][0] - fx;
      double ay = from[i][1] - fy;
      num += ax * (to[i][0] - tx) + ay * (to[i][1] - ty);
      den += ax * ax + ay * ay;
    }
    double scale = num / den;
    double left = tx - scale * fx;
    double top = ty - scale * fy;
    return new double[] {left, top, left + scale, top + scale};
  }

  private static double[] apply(double[] m, double x, double y) {
    return new double[] {m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
  }

  /** Mean of {@code n} consecutive points from {@code first}. */
  public static double[] centroid(float[] pts, int first, int n) {
    double x = 0;
    double y = 0;
    for (int i = first; i < first + n; i++) {
      x += pts[2 * i];
      y += pts[2 * i + 1];
    }
    return new double[] {x / n, y / n};
  }
}
