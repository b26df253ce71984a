package dev.actorfarm.video;

import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Streams a driving video into windows of per-frame face measures at the output frame rate. Each
 * decoded frame is measured by the {@link FaceTracker}; output frame {@code k}, at {@code k / fps}
 * seconds, takes the measures of the decoded frames either side of that time, linearly between the
 * two when both saw the same face and no cut lies between, else those of the nearer one. So a
 * variable-frame-rate phone video and a 60 fps one give the same output timeline.
 *
 * <p>Windows are handed on as soon as they are full, so an hour of video needs the memory of one
 * frame and one window, except before the first face: until one is found nothing is handed on (the
 * measures wait, 48 bytes a frame), so a video without any face fails before any work is queued.
 */
public final class DrivingAnalysis {

  /** Receives windows of {@code frames × width()} values, in order. */
  @FunctionalInterface
  public interface WindowSink {
    void accept(int index, float[] measures, int frames) throws IOException;
  }

  /** What the analysis found. */
  public record Result(
      int outputFrames, double seconds, long decodedFrames, long facesSeen, int windows) {}

  /** Checked between frames: throws to stop (a cancelled job, a limit). */
  @FunctionalInterface
  public interface Guard {
    void check(double seconds) throws IOException;
  }

  /**
   * More values per frame, appended to the measures: a LivePortrait-family pack's own motion
   * extractor on the frame's face (zeros when no face was measured).
   */
  public interface Extra {
    int width();

    float[] measure(Mat bgr, Face face) throws IOException;
  }

  private final FaceLandmarks landmarks;
  private final Extra extra;

  public DrivingAnalysis(FaceLandmarks landmarks) {
    this(landmarks, null);
  }

  public DrivingAnalysis(FaceLandmarks landmarks, Extra extra) {
    this.landmarks = landmarks;
    this.extra = extra;
  }

  /** Values per frame: {@link DrivingMeasures#K}, then the extra values. */
  public int width() {
    return DrivingMeasures.K + (extra == null ? 0 : extra.width());
  }

  /**
   * Analyses {@code video} at {@code fps}, windows of {@code windowFrames}.
   *
   * @throws DrivingVideo.BadVideoException when no frame has a face
   */
  public Result run(Path video, int fps, int windowFrames, Guard guard, WindowSink sink)
      throws IOException {
    FaceTracker tracker = new FaceTracker(landmarks);
    Resampler r = new Resampler(fps, windowFrames, width(), sink);
    long decoded =
        DrivingVideo.decode(
            video,
            (bgr, seconds) -> {
              guard.check(seconds);
              float[] row = tracker.measure(bgr);
              if (extra != null) {
                row = Arrays.copyOf(row, width());
                Face face = tracker.cropFace();
                if (face != null) {
                  System.arraycopy(
                      extra.measure(bgr, face), 0, row, DrivingMeasures.K, extra.width());
                }
              }
              r.add(seconds, row);
            });
    if (decoded == 0) {
      throw new DrivingVideo.BadVideoException(
          "driving video " + video.getFileName() + " has no frame that decodes");
    }
    if (tracker.facesSeen() == 0) {
      throw new DrivingVideo.BadVideoException(
          "no face found in any frame of driving video " + video.getFileName());
    }
    int total = r.finish();
    return new Result(total, r.duration(), decoded, tracker.facesSeen(), r.windows());
  }

  /** Measures at decoded times → measures at output frame times, cut into windows. */
  private static final class Resampler {
    private final int fps;
    private final int windowFrames;
    private final int width;
    private final WindowSink sink;
    private float[] prev; // the last decoded frame's measures, at lastTime
    private double lastTime;
    private double meanInterval;
    private long count;
    private int next; // next output frame
    private boolean started; // a face was seen: windows flow
    private boolean cutPending;
    private float[] window;
    private int inWindow;
    private int windowIndex;
    private final java.util.ArrayDeque<float[]> waiting = new java.util.ArrayDeque<>();

    Resampler(int fps, int windowFrames, int width, WindowSink sink) {
      this.fps = fps;
      this.windowFrames = windowFrames;
      this.width = width;
      this.sink = sink;
      this.window = new float[windowFrames * width];
    }

    void add(double t, float[] m) throws IOException {
      if (count > 0 && t <= lastTime) {
        return; // a repeated or out-of-order time stamp (a broken VFR mux): keep the first
      }
      if (count > 0) {
        meanInterval += ((t - lastTime) - meanInterval) / count;
      }
      count++;
      cutPending |= m[DrivingMeasures.CUT] > 0.5f;
      while (next / (double) fps <= t) {
        double tk = next / (double) fps;
        emit(prev == null ? m : blend(prev, lastTime, m, t, tk));
      }
      prev = m;
      lastTime = t;
    }

    private float[] blend(float[] a, double ta, float[] b, double tb, double t) {
      boolean near = t - ta <= tb - t;
      boolean bothFaces =
          a[DrivingMeasures.PRESENT] > 0.5f
              && b[DrivingMeasures.PRESENT] > 0.5f
              && b[DrivingMeasures.CUT] < 0.5f;
      if (!bothFaces || tb <= ta) {
        return (near ? a : b).clone();
      }
      float w = (float) ((t - ta) / (tb - ta));
      float[] out = new float[width];
      for (int k = 0; k < width; k++) {
        out[k] = a[k] + w * (b[k] - a[k]);
      }
      out[DrivingMeasures.PRESENT] = 1;
      out[DrivingMeasures.CUT] = 0;
      return out;
    }

    private void emit(float[] row) throws IOException {
      float[] r = row.clone();
      // A cut between the last output frame and this one re-anchors here, once.
      if (cutPending && r[DrivingMeasures.PRESENT] > 0.5f) {
        r[DrivingMeasures.CUT] = 1;
        cutPending = false;
      } else {
        r[DrivingMeasures.CUT] = 0;
      }
      next++;
      if (!started) {
        waiting.add(r);
        if (r[DrivingMeasures.PRESENT] > 0.5f) {
          started = true;
          while (!waiting.isEmpty()) {
            place(waiting.removeFirst());
          }
        }
        return;
      }
      place(r);
    }

    private void place(float[] r) throws IOException {
      System.arraycopy(r, 0, window, inWindow * width, width);
      inWindow++;
      if (inWindow == windowFrames) {
        sink.accept(windowIndex++, window, windowFrames);
        window = new float[windowFrames * width];
        inWindow = 0;
      }
    }

    /** The video's duration: the last frame's time plus one frame. */
    double duration() {
      double frame = count > 1 ? meanInterval : 1.0 / fps;
      return lastTime + frame;
    }

    /**
     * Emits the output frames up to round(duration × fps) and the last partial window. (A frame
     * already emitted at a time within the last decoded frame is kept even when rounding would end
     * the video just before it.)
     */
    int finish() throws IOException {
      int total = Math.max(1, (int) Math.round(duration() * fps));
      while (next < total) {
        emit(prev);
      }
      if (!started) {
        return total; // no face: the caller refuses the video
      }
      if (inWindow > 0) {
        sink.accept(windowIndex++, Arrays.copyOf(window, inWindow * width), inWindow);
        inWindow = 0;
      }
      return next;
    }

    int windows() {
      return windowIndex;
    }
  }
}
