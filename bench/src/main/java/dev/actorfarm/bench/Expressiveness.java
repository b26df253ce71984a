package dev.actorfarm.bench;

import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Box;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * How a directed render shows its direction, measured on the decoded frames at the portrait's hand
 * annotations (never the farm's detector). Every position is in the face's own frame: x along the
 * hand-marked eye line, y across it, so a tilted head is measured along its own up.
 *
 * <ul>
 *   <li>lifts, in pixels (up positive), of a patch against the portrait by template matching, less
 *       the nose tip's (the head carrying the face is not an expression): the mouth corners (the
 *       ends of the hand mouth box, on its centre line), the brows (0.35 eye distances above each
 *       eye) and the inner brows (their inner halves);
 *   <li>{@code forehead}: the shift of the forehead (0.75 eye distances above the eyes), itself,
 *       not relative: the head's own motion;
 *   <li>{@code mouth}: the mouth box's change from the portrait, where the nose shift took it, as
 *       {@link Fidelity} measures it; its correlation with the speech envelope is the lip sync;
 *   <li>{@code change}: mean absolute grey difference of the face box between consecutive frames.
 * </ul>
 */
public final class Expressiveness {

  /** A stretch of steady direction, in seconds. */
  public record Segment(String label, double from, double to) {}

  /** A segment's figures: lifts are medians over its frames, changes means and maxima. */
  public record Figures(
      String label,
      int frames,
      double cornerLift,
      double browLift,
      double innerBrowLift,
      double lipCorrelation,
      double meanChange,
      double maxChange) {

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%-10s %3d frames  corners %+5.2f px  brows %+5.2f px  inner brows %+5.2f px  lip r %.2f"
              + "  change mean %.2f max %.2f",
          label,
          frames,
          cornerLift,
          browLift,
          innerBrowLift,
          lipCorrelation,
          meanChange,
          maxChange);
    }
  }

  /** Per-frame measures of a whole video. */
  public record Frames(
      double[] corner,
      double[] brow,
      double[] innerBrow,
      double[] foreheadShift,
      double[] mouth,
      double[] change,
      double[] envelope,
      int fps) {

    /** The figures of the frames in {@code s} (by time). */
    public Figures figures(Segment s) {
      int a = (int) Math.ceil(s.from() * fps);
      int b = Math.min(corner.length, (int) Math.floor(s.to() * fps));
      int n = Math.max(0, b - a);
      double[] m = new double[n];
      double[] e = new double[n];
      double ch = 0;
      double max = 0;
      for (int i = 0; i < n; i++) {
        int t = a + i;
        ch += change[t] / n;
        max = Math.max(max, change[t]);
        m[i] = mouth[t];
        e[i] = t < envelope.length ? envelope[t] : -100;
      }
      return new Figures(
          s.label(),
          n,
          median(corner, a, b),
          median(brow, a, b),
          median(innerBrow, a, b),
          Fidelity.pearson(m, e),
          ch,
          max);
    }

    /**
     * Lip sync (Pearson r of mouth change and speech envelope) over the frames of all {@code s}.
     */
    public double lipCorrelation(List<Segment> segments) {
      List<Double> m = new ArrayList<>();
      List<Double> e = new ArrayList<>();
      for (Segment s : segments) {
        for (int t = (int) Math.ceil(s.from() * fps);
            t < Math.min(mouth.length, (int) Math.floor(s.to() * fps));
            t++) {
          m.add(mouth[t]);
          e.add(t < envelope.length ? envelope[t] : -100);
        }
      }
      return Fidelity.pearson(
          m.stream().mapToDouble(Double::doubleValue).toArray(),
          e.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The largest frame-to-frame change within {@code s}. */
    public double maxChange(Segment s) {
      return figures(s).maxChange();
    }
  }

  private Expressiveness() {}

  /**
   * The corner patches: centred this far up from the lip line, this wide and high (eye distances).
   */
  static final double CORNER_UP = -0.06;

  static final double CORNER_W = 0.25;
  static final double CORNER_H = 0.2;

  /** Where a patch is: its centre and size in the face frame, in eye distances. */
  private record Patch(double cx, double cy, double w, double h) {}

  /**
   * Measures {@code video}, a render of {@code p} speaking {@code audio} at {@code fps}; writes a
   * contact sheet of the middle frame of each of {@code segments} to {@code sheet}.
   */
  public static Frames measure(
      Portrait p, Path video, Path audio, int fps, List<Segment> segments, Path sheet)
      throws IOException {
    if (!p.hasKeypoints()) {
      throw new IllegalArgumentException(p.name() + " has no hand-marked eyes");
    }
    Mat portrait = Portraits.evenCrop(Portraits.read(p.file()));
    Mat ref = Fidelity.grey(portrait);
    int w = ref.cols();
    int h = ref.rows();
    var e0 = p.eyes().get(0).x() < p.eyes().get(1).x() ? p.eyes().get(0) : p.eyes().get(1);
    var e1 = e0 == p.eyes().get(0) ? p.eyes().get(1) : p.eyes().get(0);
    double d = p.interOcular();
    double xx = (e1.x() - e0.x()) / d;
    double xy = (e1.y() - e0.y()) / d;
    // y across the eye line, pointing down the face
    double yx = -xy;
    double yy = xx;
    Frame2 f = new Frame2(w, h, d, xx, xy, yx, yy);
    double half = p.mouth().width() / 2 / d;
    double mcx =
        p.mouthCentre() != null ? p.mouthCentre().x() : p.mouth().x() + p.mouth().width() / 2;
    double mcy =
        p.mouthCentre() != null ? p.mouthCentre().y() : p.mouth().y() + p.mouth().height() / 2;
    double midx = (e0.x() + e1.x()) / 2;
    double midy = (e0.y() + e1.y()) / 2;
    // Patch centres as image points
    // The corners' patches sit mostly above the lip line: the jaw moves what is below it.
    double[][] corners = {f.point(mcx, mcy, -half, CORNER_UP), f.point(mcx, mcy, half, CORNER_UP)};
    double[][] brows = {f.point(e0.x(), e0.y(), 0, -0.35), f.point(e1.x(), e1.y(), 0, -0.35)};
    double[][] inner = {f.point(e0.x(), e0.y(), 0.2, -0.35), f.point(e1.x(), e1.y(), -0.2, -0.35)};
    double[] nose = {p.nose().x(), p.nose().y()};
    double[] forehead = f.point(midx, midy, 0, -0.75);
    Rect mouth =
        Fidelity.clip(
            new Box(
                p.mouth().x() - p.mouth().width() / 3,
                p.mouth().y() - p.mouth().width() / 3,
                p.mouth().width() * 5 / 3,
                p.mouth().height() + p.mouth().width() * 2 / 3),
            w,
            h);
    Rect face = Fidelity.clip(p.face(), w, h);
    double[] envelope = Fidelity.envelope(audio);
    List<Double> corner = new ArrayList<>();
    List<Double> brow = new ArrayList<>();
    List<Double> innerBrow = new ArrayList<>();
    List<Double> foreheadShift = new ArrayList<>();
    List<Double> mouthChange = new ArrayList<>();
    List<Double> change = new ArrayList<>();
    List<Mat> thumbs = new ArrayList<>();
    List<Integer> wanted = new ArrayList<>();
    for (Segment s : segments) {
      wanted.add((int) Math.round((s.from() + s.to()) / 2 * fps));
    }
    Rect region =
        Fidelity.clip(
            new Box(
                p.face().x() - 0.15 * p.face().width(),
                p.face().y() - 0.15 * p.face().height(),
                1.3 * p.face().width(),
                1.3 * p.face().height()),
            w,
            h);
    Mat previous = null;
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile());
        OpenCVFrameConverter.ToMat toMat = new OpenCVFrameConverter.ToMat()) {
      g.start();
      if (g.getImageWidth() != w || g.getImageHeight() != h) {
        throw new IOException(video + " is not " + w + "x" + h);
      }
      Frame fr;
      while ((fr = g.grabImage()) != null) {
        PointerScope scope = new PointerScope();
        try {
          Mat frame = toMat.convert(fr).clone();
          Mat grey = Fidelity.grey(frame);
          double[] noseShift = f.shift(ref, grey, nose, new Patch(0, 0, 0.3, 0.25));
          double noseLift = f.lift(noseShift);
          corner.add(
              (f.lift(f.shift(ref, grey, corners[0], new Patch(0, 0, CORNER_W, CORNER_H)))
                          + f.lift(
                              f.shift(ref, grey, corners[1], new Patch(0, 0, CORNER_W, CORNER_H))))
                      / 2
                  - noseLift);
          brow.add(
              (f.lift(f.shift(ref, grey, brows[0], new Patch(0, 0, 0.5, 0.25)))
                          + f.lift(f.shift(ref, grey, brows[1], new Patch(0, 0, 0.5, 0.25))))
                      / 2
                  - noseLift);
          innerBrow.add(
              (f.lift(f.shift(ref, grey, inner[0], new Patch(0, 0, 0.22, 0.25)))
                          + f.lift(f.shift(ref, grey, inner[1], new Patch(0, 0, 0.22, 0.25))))
                      / 2
                  - noseLift);
          double[] fs = f.shift(ref, grey, forehead, new Patch(0, 0, 0.8, 0.25));
          foreheadShift.add(Math.hypot(fs[0], fs[1]));
          mouthChange.add(Fidelity.mouthChange(grey, ref, mouth, noseShift));
          if (previous == null) {
            change.add(0.0);
          } else {
            Mat diff = new Mat();
            opencv_core.absdiff(new Mat(grey, face), new Mat(previous, face), diff);
            change.add(opencv_core.mean(diff).get(0));
          }
          Mat old = previous;
          previous = grey;
          previous.retainReference();
          if (old != null) {
            old.releaseReference();
          }
          if (wanted.contains(corner.size() - 1)) {
            Mat thumb = new Mat();
            opencv_imgproc.resize(
                new Mat(frame, region),
                thumb,
                new Size(Fidelity.TILE, Fidelity.TILE),
                0,
                0,
                opencv_imgproc.INTER_AREA);
            thumb.retainReference();
            thumbs.add(thumb);
          }
        } finally {
          scope.close();
        }
      }
    }
    if (sheet != null && !thumbs.isEmpty()) {
      Mat out =
          new Mat(
              Fidelity.TILE, Fidelity.TILE * thumbs.size(), opencv_core.CV_8UC3, Scalar.all(255));
      for (int i = 0; i < thumbs.size(); i++) {
        Fidelity.label(thumbs.get(i), i < segments.size() ? segments.get(i).label() : "")
            .copyTo(new Mat(out, new Rect(i * Fidelity.TILE, 0, Fidelity.TILE, Fidelity.TILE)));
      }
      Files.createDirectories(sheet.toAbsolutePath().getParent());
      opencv_imgcodecs.imwrite(sheet.toString(), out);
    }
    return new Frames(
        array(corner),
        array(brow),
        array(innerBrow),
        array(foreheadShift),
        array(mouthChange),
        array(change),
        envelope,
        fps);
  }

  /** The median of {@code v[a, b)}: a frame the template matching got wrong does not move it. */
  static double median(double[] v, int a, int b) {
    double[] part = java.util.Arrays.copyOfRange(v, a, Math.max(a, b));
    if (part.length == 0) {
      return Double.NaN;
    }
    java.util.Arrays.sort(part);
    return part.length % 2 == 1
        ? part[part.length / 2]
        : (part[part.length / 2 - 1] + part[part.length / 2]) / 2;
  }

  private static double[] array(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The face frame of a portrait: image size, eye distance and the frame's unit vectors. */
  private record Frame2(int w, int h, double d, double xx, double xy, double yx, double yy) {

    /** The image point {@code along} and {@code across} eye distances from (x0, y0). */
    double[] point(double x0, double y0, double along, double across) {
      return new double[] {
        x0 + d * (along * xx + across * yx), y0 + d * (along * xy + across * yy)
      };
    }

    /** A shift's component up the face (positive up). */
    double lift(double[] shift) {
      return -(shift[0] * yx + shift[1] * yy);
    }

    /**
     * The shift {dx, dy} in pixels that best matches the portrait's patch at {@code c} (size in eye
     * distances, axis-aligned) within the frame, searched 0.15 eye distances around; sub-pixel by a
     * parabola.
     */
    double[] shift(Mat ref, Mat frame, double[] c, Patch size) {
      int pw = Math.max(6, (int) Math.round(size.w() * d));
      int ph = Math.max(6, (int) Math.round(size.h() * d));
      int reach = Math.max(3, (int) Math.round(0.15 * d));
      int x0 = (int) Math.round(c[0] - pw / 2.0);
      int y0 = (int) Math.round(c[1] - ph / 2.0);
      x0 = Math.max(reach, Math.min(w - pw - reach, x0));
      y0 = Math.max(reach, Math.min(h - ph - reach, y0));
      Mat template = new Mat(ref, new Rect(x0, y0, pw, ph));
      Mat within = new Mat(frame, new Rect(x0 - reach, y0 - reach, pw + 2 * reach, ph + 2 * reach));
      Mat result = new Mat();
      opencv_imgproc.matchTemplate(within, template, result, opencv_imgproc.TM_SQDIFF);
      double[] min = new double[1];
      double[] max = new double[1];
      Point loc = new Point();
      opencv_core.minMaxLoc(result, min, max, loc, null, null);
      FloatIndexer r = result.createIndexer();
      double sx =
          loc.x() + Fidelity.parabola(r, loc.x(), loc.y(), 1, 0, result.cols(), result.rows());
      double sy =
          loc.y() + Fidelity.parabola(r, loc.x(), loc.y(), 0, 1, result.cols(), result.rows());
      r.close();
      return new double[] {sx - reach, sy - reach};
    }
  }
}
