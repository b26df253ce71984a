package dev.actorfarm.video;

import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.io.IOException;
import java.util.Optional;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Follows one face through a driving video and measures it in every frame ({@link
 * DrivingMeasures}'s layout).
 *
 * <ul>
 *   <li>Tracking: the face is looked for again each frame near where it was (BlazeFace's short-range
 *       model in a window about it), so a second face in the shot does not take over.
 *   <li>Shot cuts: a frame whose small grey thumbnail differs from the last one's by more than
 *       {@link #CUT_DIFFERENCE} grey levels on average starts a new shot; the largest face in it is
 *       taken and the frame is marked {@link DrivingMeasures#CUT}, as is the frame where a lost face
 *       is found again (searched for over the whole frame every {@link #SEARCH_EVERY} frames).
 *   <li>Measures: dlib's 68 landmarks, turned upright along the eye line and scaled by the eye
 *       distance, give the head's angles, the mouth and the eyes.
 * </ul>
 *
 * Deterministic: the same frames give the same measures. Not thread-safe: one per video.
 */
public final class FaceTracker {

  /** Mean absolute grey difference (0-255) of 32×18 thumbnails that marks a shot cut. */
  static final double CUT_DIFFERENCE = 28;

  /** A lost face is searched for in the whole frame every this many frames (a full detection). */
  static final int SEARCH_EVERY = 6;

  /**
   * Yaw per unit of the nose tip's offset from the face outline's middle, as a fraction of the
   * outline's width: the nose tip stands about 0.3 face widths in front of the outline's axis, so
   * sin(yaw) ≈ offset / 0.3.
   */
  static final double NOSE_DEPTH = 0.3;

  /**
   * Pitch from where the nose tip falls between the eye line (0) and the mouth (1), about its
   * frontal 0.55: the tip drops towards the mouth as the head tips down by about this many
   * radians per unit.
   */
  static final double PITCH_PER_RATIO = 2.0;

  static final double FRONTAL_NOSE_RATIO = 0.55;

  private final FaceLandmarks landmarks;
  private Face tracked;
  private byte[] thumb;
  private int sinceSearch = SEARCH_EVERY;
  private long facesSeen;

  public FaceTracker(FaceLandmarks landmarks) {
    this.landmarks = landmarks;
  }

  /** Frames in which a face was measured so far. */
  public long facesSeen() {
    return facesSeen;
  }

  /** The measures of the next frame of the video. */
  public float[] measure(Mat bgr) throws IOException {
    float[] row = new float[DrivingMeasures.K];
    boolean cut = shotChanged(bgr);
    boolean found = false;
    if (cut || tracked == null) {
      if (cut || ++sinceSearch >= SEARCH_EVERY) {
        sinceSearch = 0;
        Optional<Face> face = FaceLocator.detect(bgr);
        tracked = face.orElse(null);
        found = face.isPresent();
      }
    } else {
      tracked = FaceLocator.track(bgr, tracked).orElse(null);
    }
    if (tracked == null) {
      return row;
    }
    row[DrivingMeasures.PRESENT] = 1;
    row[DrivingMeasures.CUT] = found ? 1 : 0;
    measure(landmarks.fit(bgr, tracked), row);
    facesSeen++;
    return row;
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
    double left = u[2 * FaceLandmarks.JAW_FIRST];
    double right = u[2 * FaceLandmarks.JAW_LAST];
    double width = Math.max(right - left, 1e-3);
    double noseOffset = (u[2 * FaceLandmarks.NOSE_TIP] - (left + right) / 2) / width;
    double[] mouth = FaceLandmarks.centroid(u, FaceLandmarks.MOUTH_LEFT, 20);
    double noseRatio = u[2 * FaceLandmarks.NOSE_TIP + 1] / Math.max(mouth[1], 1e-3);
    row[DrivingMeasures.YAW] =
        (float) Math.asin(Math.max(-1, Math.min(1, noseOffset / NOSE_DEPTH)));
    row[DrivingMeasures.PITCH] = (float) ((noseRatio - FRONTAL_NOSE_RATIO) * PITCH_PER_RATIO);
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
        (float) ((eyeAspect(u, FaceLandmarks.EYE_A_FIRST) + eyeAspect(u, FaceLandmarks.EYE_B_FIRST)) / 2);
    double brow = 0;
    for (int i = FaceLandmarks.BROW_FIRST; i <= FaceLandmarks.BROW_LAST; i++) {
      brow -= u[2 * i + 1];
    }
    row[DrivingMeasures.BROW] = (float) (brow / (FaceLandmarks.BROW_LAST - FaceLandmarks.BROW_FIRST + 1));
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
