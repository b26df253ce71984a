package dev.actorfarm.render.face;

import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;

/**
 * The square face crop of a portrait, turned upright: a similarity transform whose x axis runs
 * along the face's eye line, of side {@code cropScale} × the face-box width, centred on the box
 * centre moved {@code cropShiftY} box heights down the face. Crop pixels have their centres at
 * integer coordinates (OpenCV's convention); the pack sees crop positions normalised to [-1, 1] as
 * GridSample does with {@code align_corners=0}.
 */
public final class CropFrame {

  private final double cx;
  private final double cy;
  private final double cos;
  private final double sin;
  private final double k; // portrait pixels per crop pixel
  private final double side; // crop side in portrait pixels
  private final int size; // crop side in crop pixels

  private CropFrame(double cx, double cy, double roll, double side, int size) {
    this.cx = cx;
    this.cy = cy;
    this.cos = Math.cos(roll);
    this.sin = Math.sin(roll);
    this.side = side;
    this.size = size;
    this.k = side / size;
  }

  /** The crop of {@code face}, {@code size} pixels square. */
  public static CropFrame of(Face face, double cropScale, double cropShiftY, int size) {
    double roll = face.roll();
    double shift = cropShiftY * face.height();
    double cx = face.x() + face.width() / 2 - Math.sin(roll) * shift;
    double cy = face.y() + face.height() / 2 + Math.cos(roll) * shift;
    return new CropFrame(cx, cy, roll, cropScale * face.width(), size);
  }

  /**
   * LivePortrait's crop of {@code face} ({@code crop.py}, {@code parse_rect_from_landmark}): turned
   * so that the axis from the eye centre to the mouth runs down, a square of side {@code scale} ×
   * the face's size, centred on the face moved {@code vy} crop sides along that axis (negative:
   * towards the forehead). LivePortrait sizes the crop from the rotated box of its 106 landmarks;
   * the face box stands in for it here.
   */
  public static CropFrame liveportrait(Face face, double scale, double vy, int size) {
    double ex = (face.kx(Face.EYE_A) + face.kx(Face.EYE_B)) / 2;
    double ey = (face.ky(Face.EYE_A) + face.ky(Face.EYE_B)) / 2;
    double ux = face.kx(Face.MOUTH) - ex;
    double uy = face.ky(Face.MOUTH) - ey;
    double l = Math.hypot(ux, uy);
    if (l < 1e-3) {
      ux = 0;
      uy = 1;
    } else {
      ux /= l;
      uy /= l;
    }
    // The crop's x axis is (uy, -ux) turned into image coordinates: roll = its angle.
    double roll = Math.atan2(-ux, uy);
    double side = scale * Math.max(face.width(), face.height());
    double cx = face.x() + face.width() / 2 + ux * vy * side;
    double cy = face.y() + face.height() / 2 + uy * vy * side;
    return new CropFrame(cx, cy, roll, side, size);
  }

  /** The same crop at another resolution. */
  public CropFrame resized(int newSize) {
    return new CropFrame(cx, cy, Math.atan2(sin, cos), side, newSize);
  }

  /** Crop pixel → portrait pixel, as a 2×3 matrix for {@code warpAffine(WARP_INVERSE_MAP)}. */
  public Mat cropToPortrait() {
    double o = 0.5 - size / 2.0;
    return matrix(
        k * cos,
        -k * sin,
        cx + k * (cos * o - sin * o),
        k * sin,
        k * cos,
        cy + k * (sin * o + cos * o));
  }

  /** Pixel of the region {@code roi} → crop pixel. */
  public Mat roiToCrop(Rect roi) {
    double o = size / 2.0 - 0.5;
    double dx = roi.x() - cx;
    double dy = roi.y() - cy;
    return matrix(
        cos / k,
        sin / k,
        (cos * dx + sin * dy) / k + o,
        -sin / k,
        cos / k,
        (-sin * dx + cos * dy) / k + o);
  }

  /** A portrait point in crop coordinates normalised to [-1, 1]: {u, v}. */
  public double[] normalised(double px, double py) {
    double dx = px - cx;
    double dy = py - cy;
    double x = (cos * dx + sin * dy) / k + size / 2.0 - 0.5;
    double y = (-sin * dx + cos * dy) / k + size / 2.0 - 0.5;
    return new double[] {(2 * x + 1) / size - 1, (2 * y + 1) / size - 1};
  }

  /** The face's six keypoints in normalised crop coordinates, {@code [6 × (u, v)]}. */
  public float[] landmarks(Face face) {
    float[] out = new float[2 * Face.KEYPOINTS];
    for (int i = 0; i < Face.KEYPOINTS; i++) {
      double[] uv = normalised(face.kx(i), face.ky(i));
      out[2 * i] = (float) uv[0];
      out[2 * i + 1] = (float) uv[1];
    }
    return out;
  }

  /** The part of a {@code width × height} portrait that the crop covers. */
  public Rect footprint(int width, int height) {
    double h = side / 2;
    double ex = h * (Math.abs(cos) + Math.abs(sin));
    int x0 = (int) Math.max(0, Math.floor(cx - ex));
    int y0 = (int) Math.max(0, Math.floor(cy - ex));
    int x1 = (int) Math.min(width, Math.ceil(cx + ex));
    int y1 = (int) Math.min(height, Math.ceil(cy + ex));
    return new Rect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
  }

  /**
   * How far, in portrait pixels, a warp of the crop can move a pixel: 4% of the crop side, above
   * the reference pack's largest displacement (the jaw, 0.085 of the half-side).
   */
  public double edgeBand() {
    return 0.04 * side;
  }

  private static Mat matrix(double a, double b, double c, double d, double e, double f) {
    Mat m = new Mat(2, 3, opencv_core.CV_64F);
    DoubleIndexer idx = m.createIndexer();
    idx.put(0, 0, a).put(0, 1, b).put(0, 2, c);
    idx.put(1, 0, d).put(1, 1, e).put(1, 2, f);
    idx.close();
    return m;
  }
}
