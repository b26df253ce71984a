package dev.actorfarm.video;

import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.face.BlazeFace;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.io.IOException;
import java.util.List;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Follows one face through a driving video and measures it in every frame ({@link
 * DrivingMeasures}'s layout).
 *
 * <ul>
 *   <li>Tracking: every frame's faces are detected on their own (BlazeFace on the whole frame), and
 *       the one overlapping the last frame's face is the same face, so a second face in the shot
 *       does not take over. A still face keeps its place (hysteresis), so it gives the same
 *       measures every frame.
 *   <li>Shot cuts: a frame whose small grey thumbnail differs from the last one's by more than
 *       {@link #CUT_DIFFERENCE} grey levels on average starts a new shot; the largest face in it is
 *       taken and the frame is marked {@link DrivingMeasures#CUT}, as is the frame where a face is
 *       found again after it was lost, or where another face takes the lost one's place.
 *   <li>Measures: dlib's 68 landmarks, turned upright along the eye line and scaled by the eye
 *       distance, give the head's angles, the mouth and the eyes.
 * </ul>
 *
 * Deterministic: the same frames give the same measures. Not thread-safe: one per video.
 */
public final class FaceTracker {

  /** Mean absolute grey difference (0-255) of 32×18 thumbnails that marks a shot cut. */
  static final double CUT_DIFFERENCE = 28;

  /** Overlap with the last frame's face at which a detection is the same face. */
  static final double SAME_FACE_IOU = 0.3;

  /**
   * Yaw from the inner face's offset from the face outline's middle, as a fraction of the outline's
   * width: nose, eyes and lips stand on average about 0.25 face widths in front of the outline's
   * axis, so sin(yaw) ≈ offset / 0.25.
   */
  static final double NOSE_DEPTH = 0.25;

  /**
   * The eyes stand about this many eye distances in front of the axis through the ears, so a nod of
   * pitch p lowers them against the outline beside the ears by about sin(p) times it.
   */
  static final double EYE_DEPTH = 1.0;

  /** Pairs of jaw points, from the ears down, that give the outline's middle and width. */
  static final int OUTLINE_PAIRS = 4;

  /** The inner face's points: nose (27-35), eyes (36-47), outer lips (48-59) (iBUG 300-W). */
  static final int FIRST_INNER = 27;

  /**
   * Faces whose eyes are closer than this (pixels) are too small to measure: dlib's landmarks on
   * them wander by a tenth of the face from frame to frame, so a face in a wide shot counts as lost
   * (the motion holds, then rests) rather than driving the portrait with noise.
   */
  static final double MIN_EYE_DISTANCE_PX = 22;

  /**
   * The detector's keypoints move by a few percent of the eye distance between two looks at the
   * same still face; a tracked face keeps its place until it moves by more than this (in eye
   * distances), so that a still face gives the landmark model the same crop, and the same measures,
   * every frame.
   */
  static final double TRACK_HYSTERESIS = 0.04;

  private final FaceLandmarks landmarks;
  private Face tracked;
  private Face reference; // where the crop is placed: the face as recent landmarks place it
  private byte[] thumb;
  private long facesSeen;

  public FaceTracker(FaceLandmarks landmarks) {
    this.landmarks = landmarks;
  }

  /**
   * Where the last frame's face was cropped for its landmarks (steady while the face is still), or
   * null when that frame had no face to measure.
   */
  public Face cropFace() {
    return reference;
  }

  /** Frames in which a face was measured so far. */
  public long facesSeen() {
    return facesSeen;
  }

  /** The measures of the next frame of the video. */
  public float[] measure(Mat bgr) throws IOException {
    float[] row = new float[DrivingMeasures.K];
    boolean cut = shotChanged(bgr);
    List<Face> faces = FaceLocator.inFrame(bgr);
    Face same = null;
    if (tracked != null && !cut) {
      double best = SAME_FACE_IOU;
      for (Face f : faces) {
        double iou = BlazeFace.iou(tracked, f);
        if (iou >= best) {
          best = iou;
          same = f;
        }
      }
    }
    boolean anchor = false;
    if (same != null) {
      tracked = moved(tracked, same) ? same : tracked;
    } else {
      // A cut, a face found again, or another face: the largest one, re-anchored.
      tracked = faces.isEmpty() ? null : faces.get(0);
      anchor = tracked != null;
    }
    if (tracked == null || tracked.interOcular() < MIN_EYE_DISTANCE_PX) {
      reference = null;
      return row;
    }
    row[DrivingMeasures.PRESENT] = 1;
    row[DrivingMeasures.CUT] = anchor ? 1 : 0;
    // The crop follows the landmarks (moved once they move past the hysteresis) while they agree
    // with the detector: a still face then settles on one crop after a frame, where the
    // detector's own frame-to-frame jitter would move the crop, and dlib's points with it, by
    // several percent of the face.
    if (anchor || reference == null || !agrees(reference, tracked)) {
      reference = tracked;
    }
    float[] pts = landmarks.fit(bgr, reference);
    measure(pts, row);
    Face now = fromLandmarks(pts, tracked);
    if (moved(reference, now)) {
      reference = now;
    }
    facesSeen++;
    return row;
  }

  /** The face as 68 landmarks place it: eye and mouth centres, nose tip; the detector's box. */
  private static Face fromLandmarks(float[] pts, Face box) {
    double[] a = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_A_FIRST, 6);
    double[] b = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_B_FIRST, 6);
    double[] m = FaceLandmarks.centroid(pts, FaceLandmarks.MOUTH_LEFT, 20);
    double[] k = box.keypoints().clone();
    k[2 * Face.EYE_A] = a[0];
    k[2 * Face.EYE_A + 1] = a[1];
    k[2 * Face.EYE_B] = b[0];
    k[2 * Face.EYE_B + 1] = b[1];
    k[2 * Face.MOUTH] = m[0];
    k[2 * Face.MOUTH + 1] = m[1];
    k[2 * Face.NOSE] = pts[2 * FaceLandmarks.NOSE_TIP];
    k[2 * Face.NOSE + 1] = pts[2 * FaceLandmarks.NOSE_TIP + 1];
    return new Face(box.x(), box.y(), box.width(), box.height(), k, box.score());
  }

  /**
   * Whether the landmarks' face is where the detector sees it: eye and mouth centres within a fifth
   * of the eye distance, the eye distance within 20%.
   */
  private static boolean agrees(Face landmarks, Face detected) {
    double iod = detected.interOcular();
    if (Math.abs(landmarks.interOcular() / iod - 1) > 0.2) {
      return false;
    }
    for (int k : new int[] {Face.EYE_A, Face.EYE_B, Face.MOUTH}) {
      double d = Math.hypot(landmarks.kx(k) - detected.kx(k), landmarks.ky(k) - detected.ky(k));
      if (d > 0.2 * iod) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code now} is more than the hysteresis away from {@code before}. */
  private static boolean moved(Face before, Face now) {
    double limit = TRACK_HYSTERESIS * before.interOcular();
    for (int k = 0; k < Face.KEYPOINTS; k++) {
      if (Math.hypot(now.kx(k) - before.kx(k), now.ky(k) - before.ky(k)) > limit) {
        return true;
      }
    }
    return Math.abs(now.width() - before.width()) > limit;
  }

  /** Fills {@code row} from 68 landmarks in frame pixels. */
  static void measure(float[] pts, float[] row) {
    double[] eyeA = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_A_FIRST, 6);
    double[] eyeB = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_B_FIRST, 6);
    double mx = (eyeA[0] + eyeB[0]) / 2;
    double my = (eyeA[1] + eyeB[1]) / 2;
    double roll = Math.atan2(eyeB[1] - eyeA[1], eyeB[0] - eyeA[0]);
    double iod = Math.max(Math.hypot(eyeB[0] - eyeA[0], eyeB[1] - eyeA[1]), 1e-3);
    // Upright, in eye distances, origin at the eye midpoint.
    double cos = Math.cos(roll) / iod;
    double sin = Math.sin(roll) / iod;
    float[] u = new float[pts.length];
    for (int i = 0; i < pts.length / 2; i++) {
      double dx = pts[2 * i] - mx;
      double dy = pts[2 * i + 1] - my;
      u[2 * i] = (float) (cos * dx + sin * dy);
      u[2 * i + 1] = (float) (-sin * dx + cos * dy);
    }
    // The face outline's middle and width from four pairs of jaw points (the outline's single
    // points wander on hair, beards and paintings), and the nose from its tip and its base.
    double mid = 0;
    double width = 0;
    for (int k = 0; k < OUTLINE_PAIRS; k++) {
      double l = u[2 * (FaceLandmarks.JAW_FIRST + k)];
      double r = u[2 * (FaceLandmarks.JAW_LAST - k)];
      mid += (l + r) / (2 * OUTLINE_PAIRS);
      width += (r - l) / OUTLINE_PAIRS;
    }
    width = Math.max(width, 1e-3);
    // The inner face (nose, eyes, mouth: 32 points, whose noise averages out) against it.
    double inner = 0;
    for (int i = FIRST_INNER; i < FaceLandmarks.INNER_FIRST; i++) {
      inner += u[2 * i] / (FaceLandmarks.INNER_FIRST - FIRST_INNER);
    }
    double noseOffset = (inner - mid) / width;
    // Pitch: the eyes (the origin) against the outline's top pairs, beside the ears, which a
    // nod leaves behind and an open jaw does not move.
    double ears = 0;
    for (int k = 0; k < 2; k++) {
      ears +=
          (u[2 * (FaceLandmarks.JAW_FIRST + k) + 1] + u[2 * (FaceLandmarks.JAW_LAST - k) + 1]) / 4;
    }
    row[DrivingMeasures.YAW] =
        (float) Math.asin(Math.max(-1, Math.min(1, noseOffset / NOSE_DEPTH)));
    double upper = 0;
    for (int i = FIRST_INNER; i < FaceLandmarks.MOUTH_LEFT; i++) {
      upper += u[2 * i + 1] / (FaceLandmarks.MOUTH_LEFT - FIRST_INNER);
    }
    row[DrivingMeasures.PITCH] =
        (float) Math.asin(Math.max(-1, Math.min(1, (upper - ears) / EYE_DEPTH)));
    row[DrivingMeasures.ROLL] = (float) roll;
    row[DrivingMeasures.X_PX] = (float) mx;
    row[DrivingMeasures.Y_PX] = (float) my;
    row[DrivingMeasures.IOD_PX] = (float) iod;
    int in = FaceLandmarks.INNER_FIRST;
    double gap = 0;
    for (int k = 1; k <= 3; k++) {
      // Upper inner lip 61-63 against lower inner lip 67-65.
      gap += Math.max(0, u[2 * (in + 8 - k) + 1] - u[2 * (in + k) + 1]);
    }
    row[DrivingMeasures.MOUTH_GAP] = (float) (gap / 3);
    row[DrivingMeasures.MOUTH_WIDTH] =
        (float)
            Math.hypot(
                u[2 * FaceLandmarks.MOUTH_RIGHT] - u[2 * FaceLandmarks.MOUTH_LEFT],
                u[2 * FaceLandmarks.MOUTH_RIGHT + 1] - u[2 * FaceLandmarks.MOUTH_LEFT + 1]);
    row[DrivingMeasures.EYE_OPEN] =
        (float)
            ((eyeAspect(u, FaceLandmarks.EYE_A_FIRST) + eyeAspect(u, FaceLandmarks.EYE_B_FIRST))
                / 2);
    double brow = 0;
    for (int i = FaceLandmarks.BROW_FIRST; i <= FaceLandmarks.BROW_LAST; i++) {
      brow -= u[2 * i + 1];
    }
    row[DrivingMeasures.BROW] =
        (float) (brow / (FaceLandmarks.BROW_LAST - FaceLandmarks.BROW_FIRST + 1));
  }

  /** Soukupová and Čech's eye aspect ratio of the six points from {@code first}. */
  private static double eyeAspect(float[] u, int first) {
    double v1 = dist(u, first + 1, first + 5);
    double v2 = dist(u, first + 2, first + 4);
    double h = dist(u, first, first + 3);
    return (v1 + v2) / (2 * Math.max(h, 1e-6));
  }

  private static double dist(float[] u, int a, int b) {
    return Math.hypot(u[2 * a] - u[2 * b], u[2 * a + 1] - u[2 * b + 1]);
  }

  /** Whether this frame starts a new shot (the first frame does not). */
  private boolean shotChanged(Mat bgr) {
    byte[] now = new byte[32 * 18];
    try (Mat small = new Mat();
        Mat gray = new Mat()) {
      opencv_imgproc.resize(bgr, small, new Size(32, 18), 0, 0, opencv_imgproc.INTER_AREA);
      if (small.channels() == 1) {
        small.copyTo(gray);
      } else {
        opencv_imgproc.cvtColor(small, gray, opencv_imgproc.COLOR_BGR2GRAY);
      }
      gray.data().get(now);
    }
    byte[] before = thumb;
    thumb = now;
    if (before == null) {
      return false;
    }
    long sum = 0;
    for (int i = 0; i < now.length; i++) {
      sum += Math.abs((now[i] & 0xff) - (before[i] & 0xff));
    }
    return sum / (double) now.length > CUT_DIFFERENCE;
  }
}
