package dev.actorfarm.bench;

import dev.actorfarm.audio.AudioDecoder;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.SegmentEncoder;
import dev.actorfarm.render.face.AnnotatedPortraits.Box;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * How faithfully a rendered video animates one annotated portrait, measured on the decoded output
 * against the portrait and its hand annotations (never the farm's own face detector):
 *
 * <ul>
 *   <li>{@code lipCorrelation}: Pearson correlation, over the frames, of the mouth region's change
 *       from the portrait (mean absolute grey difference in the annotated mouth box, widened by a
 *       third of its width on every side) with the speech envelope (frame RMS in dB, floored 40 dB
 *       under its peak);
 *   <li>{@code speechSilence}: that mouth change in speech frames (envelope within 25 dB of the
 *       peak) over that in silent frames (45 dB under it or lower), the latter floored at 0.5 grey
 *       levels, the size of encoder noise;
 *   <li>{@code swayP95}: the shift that best aligns the upper face (brow to nose tip, eye to eye;
 *       the eyes and brows themselves masked, as they blink and emote) of a frame with the
 *       portrait's, as a fraction of the face width, 95th percentile;
 *   <li>{@code doubleImageP95}: in the ring around the face (1.15 to 1.8 face boxes), the RMS grey
 *       residual that the best single shift of the ring leaves, 95th percentile; {@code
 *       doubleImageRest} is the same at frame 0, the encoder's share of it;
 *   <li>{@code restDiff}: frame 0 (the narration starts in silence) against the portrait, mean
 *       absolute grey difference over the face crop's footprint (1.9 face boxes);
 *   <li>{@code borderDiff}: the largest mean absolute grey difference in the frame's outer 6
 *       pixels.
 * </ul>
 *
 * Grey levels are 0-255. A contact sheet is written for a person to look at: the portrait, frame 0,
 * a map of the largest change anywhere in the crop (4× gain), and frames of the widest mouth and of
 * even spacing.
 */
public record Fidelity(
    String name,
    String kind,
    int frames,
    double lipCorrelation,
    double speechSilence,
    double swayP95,
    double doubleImageP95,
    double doubleImageRest,
    double restDiff,
    double encoderNoise,
    double borderDiff,
    Path sheet) {

  static final int FPS = 25;
  static final int RATE = 16_000;
  private static final int BORDER = 6;
  static final int TILE = 200;

  /**
   * Measures {@code video}, the render of {@code p} speaking {@code audio}, whose segments are
   * {@code segmentFrames} long and encoded with {@code codec} at {@code bitsPerMegapixel}.
   */
  public static Fidelity measure(
      Portrait p,
      Path video,
      Path audio,
      Path sheetDir,
      int segmentFrames,
      String codec,
      double bitsPerMegapixel)
      throws IOException {
    Mat portrait = Portraits.evenCrop(Portraits.read(p.file()));
    Mat ref = grey(portrait);
    // The portrait as the farm's encoder gives it back, standing still: what a frame that shows the
    // portrait unchanged decodes to at each position of a segment. Differences are taken against
    // it, so that the encoder's own noise is not counted as the renderer's.
    List<Mat> still =
        encodedStill(portrait, segmentFrames, codec, bitsPerMegapixel, sheetDir.resolve(p.name()));
    int w = ref.cols();
    int h = ref.rows();
    Box face = p.face();
    double fw = face.width();
    Rect mouth =
        clip(
            grow(p.mouth(), p.mouth().width() / 3, p.mouth().width() / 3, p.mouth().width() / 3),
            w,
            h);
    Rect upper = upperFace(p, w, h);
    int reach = (int) Math.ceil(0.25 * fw);
    Rect search = clip(grow(box(upper), reach, reach, reach), w, h);
    Rect ringOuter = clip(scaled(face, 1.8), w, h);
    Mat ringMask = ringMask(ringOuter, scaled(face, 1.15));
    Rect footprint = clip(scaled(face, 1.9), w, h);
    Rect sheetRegion = clip(scaled(face, 2.3), w, h);
    double[] envelope = envelope(audio);

    List<Double> mouthChange = new ArrayList<>();
    List<Double> sway = new ArrayList<>();
    List<Double> ring = new ArrayList<>();
    List<Mat> thumbs = new ArrayList<>();
    Mat maxDiff =
        new Mat(sheetRegion.height(), sheetRegion.width(), opencv_core.CV_32F, Scalar.all(0));
    double rest = Double.NaN;
    double border = 0;
    Mat template = new Mat(ref, upper).clone();
    Mat eyeMask = eyeMask(p, upper);
    Mat noise = new Mat();
    opencv_core.absdiff(still.get(0), ref, noise);
    double encoderNoise = mean(noise, footprint);
    Mat[] ringGrid = pixelGrid(ringOuter.width(), ringOuter.height());
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(video.toFile());
        OpenCVFrameConverter.ToMat toMat = new OpenCVFrameConverter.ToMat()) {
      g.start();
      if (g.getImageWidth() != w || g.getImageHeight() != h) {
        throw new IOException(
            video + " is " + g.getImageWidth() + "x" + g.getImageHeight() + ", not " + w + "x" + h);
      }
      Frame f;
      while ((f = g.grabImage()) != null) {
        // Frees the frame's native buffers now; the kept thumbnail holds a reference of its own.
        PointerScope scope = new PointerScope();
        try {
          Mat frame = toMat.convert(f).clone();
          Mat grey = grey(frame);
          Mat base = still.get(mouthChange.size() % still.size());
          Mat diff = new Mat();
          opencv_core.absdiff(grey, base, diff);
          // The head's shift, from the upper face; the mouth is compared where the head took it.
          double[] shift = bestShift(new Mat(grey, search), template, eyeMask, upper, search);
          mouthChange.add(mouthChange(grey, base, mouth, shift));
          border = Math.max(border, borderMean(diff));
          if (Double.isNaN(rest)) {
            rest = mean(diff, footprint);
          }
          opencv_core.max(maxDiff, new Mat(diff, sheetRegion), maxDiff);
          sway.add(Math.hypot(shift[0], shift[1]) / fw);
          ring.add(
              unexplained(new Mat(base, ringOuter), new Mat(grey, ringOuter), ringMask, ringGrid));
          Mat thumb = new Mat();
          opencv_imgproc.resize(
              new Mat(frame, sheetRegion),
              thumb,
              new Size(TILE, TILE),
              0,
              0,
              opencv_imgproc.INTER_AREA);
          thumb.retainReference();
          thumbs.add(thumb);
        } finally {
          scope.close();
        }
      }
    }
    int n = mouthChange.size();
    if (n == 0) {
      throw new IOException(video + " has no frames");
    }
    double peak = Arrays.stream(envelope).max().orElse(0);
    double[] e = new double[n];
    double[] m = new double[n];
    double speech = 0;
    double silence = 0;
    int speechN = 0;
    int silenceN = 0;
    for (int t = 0; t < n; t++) {
      double db = t < envelope.length ? envelope[t] : peak - 100;
      e[t] = Math.max(db, peak - 40);
      m[t] = mouthChange.get(t);
      if (db > peak - 25) {
        speech += m[t];
        speechN++;
      } else if (db < peak - 45) {
        silence += m[t];
        silenceN++;
      }
    }
    double ratio =
        speechN == 0 || silenceN == 0
            ? Double.NaN
            : (speech / speechN) / Math.max(0.5, silence / silenceN);
    Path sheet = sheetDir.resolve(p.name() + ".png");
    contactSheet(sheet, portrait, sheetRegion, thumbs, m, maxDiff);
    return new Fidelity(
        p.name(),
        p.kind(),
        n,
        pearson(m, e),
        ratio,
        percentile(sway, 0.95),
        percentile(ring, 0.95),
        ring.get(0),
        rest,
        encoderNoise,
        border,
        sheet);
  }

  /** Whether every target of issue 11 holds. */
  public boolean meetsTargets() {
    return lipCorrelation >= 0.6
        && speechSilence >= 2
        && swayP95 <= 0.06
        && restDiff <= 2
        && borderDiff <= 2;
  }

  /** Frame RMS of the audio, in dB, one value per video frame. */
  static double[] envelope(Path audio) throws IOException {
    int hop = RATE / FPS;
    List<Double> out = new ArrayList<>();
    double[] acc = new double[2];
    AudioDecoder.decode(
        audio,
        RATE,
        b -> {
          while (b.hasRemaining()) {
            float s = b.get();
            acc[0] += s * s;
            if (++acc[1] == hop) {
              out.add(10 * Math.log10(acc[0] / hop + 1e-12));
              acc[0] = 0;
              acc[1] = 0;
            }
          }
        });
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * The shift {dx, dy}, in pixels, that best aligns {@code template} (the portrait's {@code at};
   * its pixels under a zero of {@code mask} ignored) within {@code image} (the frame's {@code
   * within}), sub-pixel by a parabola through the best match and its neighbours.
   */
  private static double[] bestShift(Mat image, Mat template, Mat mask, Rect at, Rect within) {
    Mat result = new Mat();
    opencv_imgproc.matchTemplate(image, template, result, opencv_imgproc.TM_SQDIFF, mask);
    double[] min = new double[1];
    double[] max = new double[1];
    Point loc = new Point();
    opencv_core.minMaxLoc(result, min, max, loc, null, null);
    FloatIndexer r = result.createIndexer();
    int x = loc.x();
    int y = loc.y();
    double sx = x + parabola(r, x, y, 1, 0, result.cols(), result.rows());
    double sy = y + parabola(r, x, y, 0, 1, result.cols(), result.rows());
    r.close();
    return new double[] {sx - (at.x() - within.x()), sy - (at.y() - within.y())};
  }

  /**
   * The mouth's own change: mean absolute grey difference between the frame's mouth region, moved
   * by the head's {@code shift}, and the still's. Articulation, not the head carrying the mouth.
   */
  static double mouthChange(Mat frame, Mat still, Rect mouth, double[] shift) {
    // The frame sampled at the mouth's pixels moved by the shift (sub-pixel, bilinear).
    Mat back = new Mat(2, 3, opencv_core.CV_64F);
    org.bytedeco.javacpp.indexer.DoubleIndexer m = back.createIndexer();
    m.put(0, 0, 1).put(0, 1, 0).put(0, 2, mouth.x() + shift[0]);
    m.put(1, 0, 0).put(1, 1, 1).put(1, 2, mouth.y() + shift[1]);
    m.close();
    Mat moved = new Mat();
    opencv_imgproc.warpAffine(
        frame,
        moved,
        back,
        mouth.size(),
        opencv_imgproc.INTER_LINEAR | opencv_imgproc.WARP_INVERSE_MAP,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    Mat d = new Mat();
    opencv_core.absdiff(moved, new Mat(still, mouth), d);
    return opencv_core.mean(d).get(0);
  }

  /**
   * What no motion explains: the RMS grey residual, over {@code mask}, between {@code reference}
   * and {@code frame} warped onto it by the dense optical flow between them (Farnebäck). A face
   * that moved, a region that stretched, a head that turned: all are motion, and leave only the
   * encoder's noise and resampling blur. A double image (a picture blended with a shifted copy of
   * itself, a translucent hat above the head) is no motion of anything, and stays.
   */
  private static double unexplained(Mat reference, Mat frame, Mat mask, Mat[] grid) {
    Mat a = new Mat();
    Mat b = new Mat();
    reference.convertTo(a, opencv_core.CV_8U);
    frame.convertTo(b, opencv_core.CV_8U);
    Mat flow = new Mat();
    opencv_video.calcOpticalFlowFarneback(a, b, flow, 0.5, 3, 15, 3, 5, 1.2, 0);
    MatVector d = new MatVector();
    opencv_core.split(flow, d);
    Mat mapX = new Mat();
    Mat mapY = new Mat();
    opencv_core.add(grid[0], d.get(0), mapX);
    opencv_core.add(grid[1], d.get(1), mapY);
    Mat aligned = new Mat();
    opencv_imgproc.remap(
        frame,
        aligned,
        mapX,
        mapY,
        opencv_imgproc.INTER_LINEAR,
        opencv_core.BORDER_REPLICATE,
        new Scalar());
    Mat residual = new Mat();
    opencv_core.subtract(aligned, reference, residual);
    Mat sq = new Mat();
    opencv_core.multiply(residual, residual, sq);
    Mat weight = new Mat();
    mask.convertTo(weight, opencv_core.CV_32F, 1 / 255.0, 0);
    opencv_core.multiply(sq, weight, sq);
    double sum = opencv_core.sumElems(sq).get(0);
    return Math.sqrt(sum / Math.max(1, opencv_core.countNonZero(mask)));
  }

  /** {x, y}: each pixel's own coordinates, {@code CV_32F}, what a remap by a zero flow reads. */
  private static Mat[] pixelGrid(int w, int h) {
    Mat x = new Mat(h, w, opencv_core.CV_32F);
    Mat y = new Mat(h, w, opencv_core.CV_32F);
    FloatIndexer ix = x.createIndexer();
    FloatIndexer iy = y.createIndexer();
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        ix.put(r, c, c);
        iy.put(r, c, r);
      }
    }
    ix.close();
    iy.close();
    return new Mat[] {x, y};
  }

  /** Ones over the upper-face template, zeros over the eyes (a blink is no sway). */
  private static Mat eyeMask(Portrait p, Rect upper) {
    Mat mask = new Mat(upper.height(), upper.width(), opencv_core.CV_8U, Scalar.all(255));
    if (!p.hasKeypoints()) {
      return mask;
    }
    double iod = p.interOcular();
    for (var eye : p.eyes()) {
      // The eye and the brow above it: they blink and emote, the skull does not.
      int x0 = (int) Math.max(0, eye.x() - 0.4 * iod - upper.x());
      int y0 = (int) Math.max(0, eye.y() - 0.5 * iod - upper.y());
      int x1 = (int) Math.min(upper.width(), eye.x() + 0.4 * iod - upper.x());
      int y1 = (int) Math.min(upper.height(), eye.y() + 0.15 * iod - upper.y());
      if (x1 > x0 && y1 > y0) {
        new Mat(mask, new Rect(x0, y0, x1 - x0, y1 - y0)).put(Scalar.all(0));
      }
    }
    return mask;
  }

  /** {@code portrait} through {@code codec}: a segment of it standing still, decoded, in grey. */
  private static List<Mat> encodedStill(
      Mat portrait, int frames, String codec, double bitsPerMegapixel, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("still.mp4");
    long bitrate = (long) (bitsPerMegapixel * portrait.cols() * (double) portrait.rows() / 1e6);
    try (SegmentEncoder encoder =
        new SegmentEncoder(file, portrait.cols(), portrait.rows(), FPS, frames, codec, bitrate)) {
      for (int i = 0; i < frames; i++) {
        encoder.write(portrait);
      }
    }
    List<Mat> out = new ArrayList<>();
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile());
        OpenCVFrameConverter.ToMat toMat = new OpenCVFrameConverter.ToMat()) {
      g.start();
      Frame f;
      while ((f = g.grabImage()) != null) {
        out.add(grey(toMat.convert(f)));
      }
    }
    Files.delete(file);
    return out;
  }

  static double parabola(FloatIndexer r, int x, int y, int ux, int uy, int cols, int rows) {
    int x0 = x - ux;
    int y0 = y - uy;
    int x1 = x + ux;
    int y1 = y + uy;
    if (x0 < 0 || y0 < 0 || x1 >= cols || y1 >= rows) {
      return 0;
    }
    double a = r.get(y0, x0);
    double b = r.get(y, x);
    double c = r.get(y1, x1);
    double d = a - 2 * b + c;
    return d <= 0 ? 0 : Math.max(-0.5, Math.min(0.5, 0.5 * (a - c) / d));
  }

  /**
   * The upper face: eye to eye (plus a third of their distance), brows to the nose tip; for a face
   * annotated without keypoints, the upper 55% of its box.
   */
  private static Rect upperFace(Portrait p, int w, int h) {
    if (!p.hasKeypoints()) {
      Box f = p.face();
      return clip(
          new Box(f.x() + 0.1 * f.width(), f.y(), 0.8 * f.width(), 0.55 * f.height()), w, h);
    }
    double iod = p.interOcular();
    double x0 = Math.min(p.eyes().get(0).x(), p.eyes().get(1).x()) - 0.35 * iod;
    double x1 = Math.max(p.eyes().get(0).x(), p.eyes().get(1).x()) + 0.35 * iod;
    double y0 = Math.min(p.eyes().get(0).y(), p.eyes().get(1).y()) - 0.4 * iod;
    double y1 =
        Math.max(p.nose().y(), Math.max(p.eyes().get(0).y(), p.eyes().get(1).y()) + 0.3 * iod);
    return clip(new Box(x0, y0, x1 - x0, y1 - y0), w, h);
  }

  private static Mat ringMask(Rect outer, Box inner) {
    Mat mask = new Mat(outer.height(), outer.width(), opencv_core.CV_8U, Scalar.all(255));
    int x0 = (int) Math.max(0, inner.x() - outer.x());
    int y0 = (int) Math.max(0, inner.y() - outer.y());
    int x1 = (int) Math.min(outer.width(), inner.x() + inner.width() - outer.x());
    int y1 = (int) Math.min(outer.height(), inner.y() + inner.height() - outer.y());
    if (x1 > x0 && y1 > y0) {
      new Mat(mask, new Rect(x0, y0, x1 - x0, y1 - y0)).put(Scalar.all(0));
    }
    return mask;
  }

  private static void contactSheet(
      Path file, Mat portrait, Rect region, List<Mat> thumbs, double[] mouth, Mat maxDiff)
      throws IOException {
    int n = thumbs.size();
    List<Integer> picks = new ArrayList<>();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(mouth[b], mouth[a]));
    for (int i = 0; i < n && picks.size() < 4; i++) {
      int t = order[i];
      if (picks.stream().allMatch(q -> Math.abs(q - t) > 5)) {
        picks.add(t);
      }
    }
    for (int i = 1; i <= 5; i++) {
      picks.add(i * (n - 1) / 6);
    }
    picks.sort(Integer::compare);
    List<Mat> tiles = new ArrayList<>();
    Mat src = new Mat();
    opencv_imgproc.resize(
        new Mat(portrait, region), src, new Size(TILE, TILE), 0, 0, opencv_imgproc.INTER_AREA);
    tiles.add(label(src, "portrait"));
    tiles.add(label(thumbs.get(0).clone(), "frame 0"));
    Mat heat = new Mat();
    maxDiff.convertTo(heat, opencv_core.CV_8U, 4, 0);
    Mat heatColour = new Mat();
    opencv_imgproc.applyColorMap(heat, heatColour, opencv_imgproc.COLORMAP_INFERNO);
    Mat heatTile = new Mat();
    opencv_imgproc.resize(
        heatColour, heatTile, new Size(TILE, TILE), 0, 0, opencv_imgproc.INTER_AREA);
    tiles.add(label(heatTile, "max change x4"));
    for (int t : picks) {
      tiles.add(label(thumbs.get(t).clone(), "frame " + t));
    }
    int cols = 6;
    int rows = (tiles.size() + cols - 1) / cols;
    Mat sheet = new Mat(rows * TILE, cols * TILE, opencv_core.CV_8UC3, Scalar.all(255));
    for (int i = 0; i < tiles.size(); i++) {
      tiles
          .get(i)
          .copyTo(new Mat(sheet, new Rect((i % cols) * TILE, (i / cols) * TILE, TILE, TILE)));
    }
    Files.createDirectories(file.getParent());
    if (!opencv_imgcodecs.imwrite(file.toString(), sheet)) {
      throw new IOException("cannot write " + file);
    }
  }

  static Mat label(Mat tile, String text) {
    // White on a black outline, readable on any tile.
    double[][] strokes = {{0, 3}, {255, 1}};
    for (double[] stroke : strokes) {
      opencv_imgproc.putText(
          tile,
          text,
          new Point(4, TILE - 6),
          opencv_imgproc.FONT_HERSHEY_SIMPLEX,
          0.45,
          Scalar.all(stroke[0]),
          (int) stroke[1],
          opencv_imgproc.LINE_AA,
          false);
    }
    return tile;
  }

  static Mat grey(Mat bgr) {
    Mat g = new Mat();
    opencv_imgproc.cvtColor(bgr, g, opencv_imgproc.COLOR_BGR2GRAY);
    Mat f = new Mat();
    g.convertTo(f, opencv_core.CV_32F);
    return f;
  }

  private static double mean(Mat m, Rect r) {
    return opencv_core.mean(new Mat(m, r)).get(0);
  }

  private static double borderMean(Mat diff) {
    int w = diff.cols();
    int h = diff.rows();
    double sum =
        opencv_core.sumElems(new Mat(diff, new Rect(0, 0, w, BORDER))).get(0)
            + opencv_core.sumElems(new Mat(diff, new Rect(0, h - BORDER, w, BORDER))).get(0)
            + opencv_core
                .sumElems(new Mat(diff, new Rect(0, BORDER, BORDER, h - 2 * BORDER)))
                .get(0)
            + opencv_core
                .sumElems(new Mat(diff, new Rect(w - BORDER, BORDER, BORDER, h - 2 * BORDER)))
                .get(0);
    return sum / (2.0 * BORDER * w + 2.0 * BORDER * (h - 2 * BORDER));
  }

  static double pearson(double[] a, double[] b) {
    int n = Math.min(a.length, b.length);
    double ma = 0;
    double mb = 0;
    for (int i = 0; i < n; i++) {
      ma += a[i];
      mb += b[i];
    }
    ma /= n;
    mb /= n;
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < n; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
  }

  static double percentile(List<Double> values, double q) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[(int) Math.min(v.length - 1, Math.floor(q * v.length))];
  }

  private static Box scaled(Box b, double f) {
    double cx = b.x() + b.width() / 2;
    double cy = b.y() + b.height() / 2;
    return new Box(cx - f * b.width() / 2, cy - f * b.height() / 2, f * b.width(), f * b.height());
  }

  private static Box grow(Box b, double dx, double top, double bottom) {
    return new Box(b.x() - dx, b.y() - top, b.width() + 2 * dx, b.height() + top + bottom);
  }

  private static Box box(Rect r) {
    return new Box(r.x(), r.y(), r.width(), r.height());
  }

  static Rect clip(Box b, int w, int h) {
    int x0 = (int) Math.max(0, Math.floor(b.x()));
    int y0 = (int) Math.max(0, Math.floor(b.y()));
    int x1 = (int) Math.min(w, Math.ceil(b.x() + b.width()));
    int y1 = (int) Math.min(h, Math.ceil(b.y() + b.height()));
    return new Rect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
  }
}
