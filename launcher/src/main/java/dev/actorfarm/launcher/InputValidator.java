package dev.actorfarm.launcher;

import dev.actorfarm.audio.AudioDecoder;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.video.DrivingVideo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Checks a job's inputs at submission, before anything is queued, so that bad input is refused with
 * one clear line instead of failing deep inside the farm.
 */
public final class InputValidator {

  /** A refused input: its message is the one line shown to the user. */
  public static final class BadInputException extends Exception {
    public BadInputException(String message) {
      super(message);
    }
  }

  /** What validation learned about the inputs. */
  public record Validated(
      FaceBox faceBox, boolean faceGiven, double audioSeconds, int width, int height) {}

  private InputValidator() {}

  /**
   * A job's scheduling settings at submission: priority 0..100, a worker cap of 0 (none) or more.
   */
  public static dev.actorfarm.runtime.jobs.JobStates.Controls controls(int priority, int maxWorkers)
      throws BadInputException {
    checkPriority(priority, "--priority");
    if (maxWorkers < 0) {
      throw new BadInputException("--max-workers must be 0 (no cap) or more, got " + maxWorkers);
    }
    return new dev.actorfarm.runtime.jobs.JobStates.Controls(priority, false, maxWorkers);
  }

  /** A priority is 0..100; {@code name} is what the caller calls it (an option, a field). */
  public static void checkPriority(int priority, String name) throws BadInputException {
    if (priority < 0 || priority > 100) {
      throw new BadInputException(name + " must be 0..100, got " + priority);
    }
  }

  /** A frame rate must be positive. */
  public static void checkFps(int fps) throws BadInputException {
    if (fps <= 0) {
      throw new BadInputException("--fps must be positive");
    }
  }

  /**
   * An output frame rate: any whole rate from 1 to the limit (24, 25, 30, 50, 60, ...). The pack's
   * motion is made at its own rate and resampled to this one.
   */
  public static void checkFps(int fps, FarmSettings.Limits limits) throws BadInputException {
    checkFps(fps);
    if (fps > limits.maxFps()) {
      throw new BadInputException(
          "--fps "
              + fps
              + " is over the limit of "
              + limits.maxFps()
              + " (actorfarm.limits.max-fps)");
    }
  }

  /**
   * The landmark model the video role of this machine reads: a farm that runs the role here (farm
   * render, farm serve) refuses a driving video at once when the model is not installed, rather
   * than failing the job later.
   */
  public static void checkLandmarkModel(Path model) throws BadInputException {
    if (!Files.isRegularFile(model)) {
      throw new BadInputException(
          "driving videos need dlib's face landmark model, which is missing at "
              + model
              + ": install Debian's libdlib-data (apt-get install libdlib-data) or set"
              + " actorfarm.video.landmark-model (ACTORFARM_LANDMARK_MODEL)");
    }
  }

  /** What validation learned about a driving video. */
  public record ValidatedDriving(Validated portrait, DrivingVideo.Probe video, int fps) {}

  /**
   * Checks a driving-video job: the portrait (as {@link #validate}), the video (a readable video
   * stream within the limits, not truncated), the replacement sound when given, and the frame rate
   * ({@code fps} 0: the video's own, rounded).
   */
  public static ValidatedDriving validateDriving(
      Path portrait, Path driving, Path audio, FaceBox faceBox, int fps, FarmSettings.Limits limits)
      throws BadInputException {
    requireReadableFile(driving, "driving video");
    DrivingVideo.Probe video;
    try {
      video = DrivingVideo.probe(driving, limits);
    } catch (DrivingVideo.BadVideoException e) {
      throw new BadInputException(e.getMessage());
    }
    int outFps = DrivingVideo.outputFps(fps, video.fps());
    checkFps(outFps, limits);
    Validated p = validatePortrait(portrait, faceBox, limits);
    if (audio != null) {
      requireReadableFile(audio, "audio");
      probeAudio(audio, limits);
    }
    return new ValidatedDriving(p, video, outFps);
  }

  public static Validated validate(
      Path portrait, Path audio, FaceBox faceBox, FarmSettings.Limits limits)
      throws BadInputException {
    requireReadableFile(portrait, "portrait");
    requireReadableFile(audio, "audio");
    Validated p = validatePortrait(portrait, faceBox, limits);
    StartupTimeline.mark("portrait checked");
    double seconds = probeAudio(audio, limits);
    StartupTimeline.mark("audio checked");
    return new Validated(p.faceBox(), p.faceGiven(), seconds, p.width(), p.height());
  }

  /** The portrait: an image within the limits, with a face found or given. */
  static Validated validatePortrait(Path portrait, FaceBox faceBox, FarmSettings.Limits limits)
      throws BadInputException {
    requireReadableFile(portrait, "portrait");
    Mat image;
    try {
      // A decompression bomb is refused from its header, before its pixels are decoded.
      int[] declared = Portraits.dimensions(portrait);
      if (declared != null && Math.max(declared[0], declared[1]) > limits.maxImageSide()) {
        throw new BadInputException(
            String.format(
                Locale.ROOT,
                "portrait %s declares %dx%d px; its larger side may be at most %d px"
                    + " (actorfarm.limits.max-image-side)",
                portrait,
                declared[0],
                declared[1],
                limits.maxImageSide()));
      }
      image = Portraits.read(portrait);
    } catch (Portraits.BadImageException e) {
      throw new BadInputException(e.getMessage());
    } catch (IOException e) {
      throw new BadInputException(
          "portrait " + portrait + " is not an image (expected PNG, JPEG, BMP, TIFF or WebP)");
    }
    int w = image.cols();
    int h = image.rows();
    if (Math.min(w, h) < limits.minImageSide()) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "portrait %s is %dx%d px; its smaller side must be at least %d px",
              portrait,
              w,
              h,
              limits.minImageSide()));
    }
    if (Math.max(w, h) > limits.maxImageSide()) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "portrait %s is %dx%d px; its larger side may be at most %d px"
                  + " (actorfarm.limits.max-image-side)",
              portrait,
              w,
              h,
              limits.maxImageSide()));
    }
    FaceBox face = faceBox;
    if (face == null) {
      try {
        face =
            FaceLocator.detect(image)
                .map(dev.actorfarm.render.face.Face::box)
                .orElseThrow(
                    () ->
                        new BadInputException(
                            "no face found in portrait "
                                + portrait
                                + "; give the face's box with --face-box x,y,w,h"));
      } catch (IOException e) {
        throw new BadInputException("cannot run face detection: " + e.getMessage());
      }
    } else if (face.getWidth() <= 0
        || face.getHeight() <= 0
        || face.getX() < 0
        || face.getY() < 0
        || face.getX() + face.getWidth() > w
        || face.getY() + face.getHeight() > h) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "--face-box %d,%d,%d,%d lies outside the %dx%d portrait",
              face.getX(),
              face.getY(),
              face.getWidth(),
              face.getHeight(),
              w,
              h));
    }
    return new Validated(face, faceBox != null, 0, w, h);
  }

  /** A narration or sound track: audio FFmpeg decodes, within the length limit; its seconds. */
  /** Sample rates a narration may have: telephone speech to studio masters. */
  static final int MIN_SAMPLE_RATE = 8_000;

  static final int MAX_SAMPLE_RATE = 384_000;

  /** Channels a narration may have (7.1 surround); more is a forged header, not a recording. */
  static final int MAX_CHANNELS = 8;

  /**
   * FFmpeg's reason in a few words, without its advice to the programmer ("Has setFormat() been
   * called?", "make sure FFmpegLogCallback.set() ...").
   */
  static String ffmpeg(String why) {
    if (why == null || why.isBlank()) {
      return "";
    }
    String w = why;
    for (String advice : new String[] {" (Has ", " (For more details"}) {
      int at = w.indexOf(advice);
      if (at >= 0) {
        w = w.substring(0, at);
      }
    }
    w = w.replaceFirst("^avformat_open_input\\(\\) error -?\\d+: ", "").strip();
    return w.isEmpty() ? "" : " (" + w + ")";
  }

  static double probeAudio(Path audio, FarmSettings.Limits limits) throws BadInputException {
    AudioDecoder.Probe probe;
    try {
      probe = AudioDecoder.probe(audio);
    } catch (IOException e) {
      String why = e.getMessage() == null ? "" : e.getMessage();
      if (why.contains("no samples")) {
        throw new BadInputException("audio " + audio + " has no samples");
      }
      throw new BadInputException("audio " + audio + " is not audio or is corrupt" + ffmpeg(why));
    }
    if (probe.sampleRate() < MIN_SAMPLE_RATE || probe.sampleRate() > MAX_SAMPLE_RATE) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "audio %s declares %d Hz; a sample rate from %d to %d Hz is taken",
              audio,
              probe.sampleRate(),
              MIN_SAMPLE_RATE,
              MAX_SAMPLE_RATE));
    }
    if (probe.channels() > MAX_CHANNELS) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "audio %s declares %d channels; at most %d are taken",
              audio,
              probe.channels(),
              MAX_CHANNELS));
    }
    if (probe.durationSeconds() > limits.maxAudioSeconds()) {
      throw new BadInputException(
          String.format(
              Locale.ROOT,
              "audio %s is %.1f s long; the limit is %.0f s (actorfarm.limits.max-audio-seconds)",
              audio,
              probe.durationSeconds(),
              limits.maxAudioSeconds()));
    }
    return probe.durationSeconds();
  }

  private static void requireReadableFile(Path file, String what) throws BadInputException {
    if (!Files.exists(file)) {
      throw new BadInputException(what + " " + file + " does not exist");
    }
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new BadInputException(what + " " + file + " is not a readable file");
    }
  }

  /** A --face-box (or face_box field) x,y,w,h; null for none. */
  public static FaceBox parseFaceBox(String text) throws BadInputException {
    if (text == null) {
      return null;
    }
    String[] parts = text.split(",");
    if (parts.length != 4) {
      throw new BadInputException("--face-box must be x,y,w,h, got '" + text + "'");
    }
    try {
      return FaceBox.newBuilder()
          .setX(Integer.parseInt(parts[0].trim()))
          .setY(Integer.parseInt(parts[1].trim()))
          .setWidth(Integer.parseInt(parts[2].trim()))
          .setHeight(Integer.parseInt(parts[3].trim()))
          .build();
    } catch (NumberFormatException e) {
      throw new BadInputException("--face-box must be four integers, got '" + text + "'");
    }
  }
}
