package dev.actorfarm.video;

import dev.actorfarm.runtime.FarmSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A driving video read as a stream of upright BGR frames with their times: any container and codec
 * FFmpeg reads, constant or variable frame rate, turned upright by its rotation metadata (a phone
 * held upright). One frame is in memory at a time.
 */
public final class DrivingVideo {

  static {
    avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    FFmpegLogCallback.setLevel(avutil.AV_LOG_ERROR);
  }

  /** A refused driving video: its message is the one line shown to the user. */
  public static final class BadVideoException extends IOException {
    public BadVideoException(String message) {
      super(message);
    }
  }

  /** Receives each decoded frame; the Mat is only valid during the call. */
  @FunctionalInterface
  public interface FrameSink {
    void accept(Mat bgr, double seconds) throws IOException;
  }

  /**
   * What a look at the file found: upright size, declared frame rate and length, whether it has
   * sound, the codec and the rotation applied (degrees clockwise).
   */
  public record Probe(
      int width,
      int height,
      double fps,
      double seconds,
      boolean hasAudio,
      String codec,
      int rotation) {}

  /** Frame rates a container may declare and still be believed. */
  static final double MAX_DECLARED_FPS = 1000;

  private DrivingVideo() {}

  /** A driving job's output frame rate: the one asked for, else the video's own, rounded. */
  public static int outputFps(int asked, double videoFps) {
    return asked > 0 ? asked : (int) Math.max(1, Math.round(videoFps));
  }

  /**
   * Opens {@code file}, checks its declarations against the limits, decodes its first frame and one
   * near its end (a truncated file has none there).
   *
   * @throws BadVideoException with a one-line reason for anything that is not a usable video
   */
  public static Probe probe(Path file, FarmSettings.Limits limits) throws BadVideoException {
    String name = "driving video " + file.getFileName();
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
      try {
        g.start();
      } catch (FrameGrabber.Exception | RuntimeException e) {
        throw new BadVideoException(name + " is not a video FFmpeg can read, or it is corrupt");
      }
      if (!g.hasVideo() || g.getVideoStream() < 0 || g.getImageWidth() <= 0) {
        throw new BadVideoException(name + " has no video stream");
      }
      int rotation = rotation(g);
      int w = g.getImageWidth();
      int h = g.getImageHeight();
      if (Math.max(w, h) > limits.maxVideoSide()) {
        throw new BadVideoException(
            String.format(
                Locale.ROOT,
                "%s is %dx%d px; its larger side may be at most %d px"
                    + " (actorfarm.limits.max-video-side)",
                name,
                w,
                h,
                limits.maxVideoSide()));
      }
      double fps = g.getVideoFrameRate() > 0 ? g.getVideoFrameRate() : g.getFrameRate();
      if (!(fps > 0 && fps <= MAX_DECLARED_FPS)) {
        throw new BadVideoException(
            String.format(
                Locale.ROOT, "%s declares an implausible frame rate (%.3g fps)", name, fps));
      }
      double seconds = g.getLengthInTime() / 1e6;
      if (seconds > limits.maxVideoSeconds()) {
        throw new BadVideoException(
            String.format(
                Locale.ROOT,
                "%s is %.1f s long; the limit is %.0f s (actorfarm.limits.max-video-seconds)",
                name,
                seconds,
                limits.maxVideoSeconds()));
      }
      long declaredFrames = g.getLengthInVideoFrames();
      if (declaredFrames > limits.maxVideoSeconds() * MAX_DECLARED_FPS) {
        throw new BadVideoException(
            name
                + " declares "
                + declaredFrames
                + " frames, more than any video within the limits");
      }
      Frame first = grabImage(g, name);
      if (first == null) {
        throw new BadVideoException(name + " has no frame that decodes (corrupt or truncated)");
      }
      if (seconds > 2) {
        // A file cut short keeps its header's duration: a frame near the end must decode.
        long probeAt = (long) ((seconds - 1) * 1e6);
        boolean tail;
        try {
          g.setTimestamp(probeAt, true);
          Frame f = grabImage(g, name);
          tail = f != null && g.getTimestamp() >= probeAt - 2_000_000L;
        } catch (FrameGrabber.Exception | RuntimeException e) {
          tail = false;
        }
        if (!tail) {
          throw new BadVideoException(
              String.format(
                  Locale.ROOT,
                  "%s is truncated or corrupt: it declares %.1f s, but no frame decodes near its end",
                  name,
                  seconds));
        }
      }
      boolean upright = rotation == 90 || rotation == 270;
      return new Probe(
          upright ? h : w,
          upright ? w : h,
          fps,
          seconds,
          g.hasAudio() && g.getAudioStream() >= 0 && g.getAudioChannels() > 0,
          g.getVideoCodecName(),
          rotation);
    } catch (FrameGrabber.Exception e) {
      throw new BadVideoException(name + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * Decodes {@code file} frame by frame into {@code sink}, upright, with each frame's time in
   * seconds from the first frame.
   *
   * @return the number of frames decoded
   */
  public static long decode(Path file, FrameSink sink) throws IOException {
    String name = "driving video " + file.getFileName();
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile());
        OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat()) {
      g.setPixelFormat(avutil.AV_PIX_FMT_BGR24);
      g.start();
      int rotation = rotation(g);
      long frames = 0;
      long firstUs = Long.MIN_VALUE;
      Frame f;
      try (Mat turned = new Mat()) {
        while ((f = grabImage(g, name)) != null) {
          Mat bgr = converter.convert(f);
          if (bgr == null) {
            continue;
          }
          long ts = f.timestamp;
          if (firstUs == Long.MIN_VALUE) {
            firstUs = ts;
          }
          Mat upright = bgr;
          if (rotation != 0) {
            opencv_core.rotate(
                bgr,
                turned,
                rotation == 90
                    ? opencv_core.ROTATE_90_CLOCKWISE
                    : rotation == 180
                        ? opencv_core.ROTATE_180
                        : opencv_core.ROTATE_90_COUNTERCLOCKWISE);
            upright = turned;
          }
          sink.accept(upright, (ts - firstUs) / 1e6);
          frames++;
        }
      }
      return frames;
    } catch (FrameGrabber.Exception e) {
      throw new BadVideoException(name + " cannot be decoded: " + e.getMessage());
    }
  }

  private static Frame grabImage(FFmpegFrameGrabber g, String name) throws BadVideoException {
    try {
      return g.grabImage();
    } catch (FrameGrabber.Exception | RuntimeException e) {
      throw new BadVideoException(name + " is corrupt: " + e.getMessage());
    }
  }

  /**
   * Clockwise degrees (0, 90, 180, 270) that make the stored picture upright: the display matrix
   * gives the counter-clockwise rotation to apply, as FFmpeg's own autorotation reads it.
   */
  private static int rotation(FFmpegFrameGrabber g) {
    double ccw = g.getDisplayRotation();
    if (Double.isNaN(ccw)) {
      return 0;
    }
    int cw = (int) Math.round(-ccw / 90.0) * 90;
    return ((cw % 360) + 360) % 360;
  }
}
