package dev.actorfarm.launcher;

import dev.actorfarm.protocol.Direction;
import dev.actorfarm.runtime.direction.Directions;
import dev.actorfarm.runtime.direction.FarmControls;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/**
 * A narration job's direction on the command line: an emotion timeline or a cue sheet, and the
 * performance knobs. Shared by {@code farm render} and {@code farm submit}; the API reads the same
 * things from its {@code emotion} and {@code cues} fields ({@link #direction}).
 */
public final class DirectionOptions {

  @Option(
      names = "--emotion",
      paramLabel = "TIMELINE",
      description = {
        "Emotion over time: label[:intensity]@seconds, comma-separated, e.g.",
        "happy:0.8@0,sad:0.6@42.5,neutral@60. Labels: neutral, happy, sad, angry, surprised,",
        "fearful, disgusted, contemptuous; intensity 0..1 (default 1). Each change eases in",
        "over 0.8 s. Without one, expressiveness follows the voice's loudness and pitch movement."
      })
  String emotion;

  @Option(
      names = "--cues",
      paramLabel = "FILE",
      description = {
        "Cue sheet, JSON or CSV: time, emotion, intensity, ease and any control by name",
        "(JSON: [{\"time\":0,\"emotion\":\"happy\",\"intensity\":0.8}, ...] or {\"controls\":{...},",
        "\"cues\":[...]}; CSV: a header row naming the columns)."
      })
  Path cues;

  @Option(
      names = "--expression-scale",
      paramLabel = "X",
      description = "How strongly emotions and emphasis show, 0..2 (default 1).")
  Float expressionScale;

  @Option(
      names = "--head-motion",
      paramLabel = "X",
      description = "Head motion scale, 0..2 (default 1; 0 keeps the head still).")
  Float headMotion;

  @Option(
      names = "--lip-sync",
      paramLabel = "X",
      description = "How far the mouth follows the speech, 0..2 (default 1).")
  Float lipSync;

  @Option(
      names = "--blink-rate",
      paramLabel = "N",
      description = "Blinks a minute, 0..60 (default 17).")
  Float blinkRate;

  @Option(
      names = "--gaze",
      paramLabel = "camera|wander|X,Y",
      description = {
        "Where the eyes look: at the camera (default), wandering, or a direction X,Y in -1..1",
        "(X towards the frame's right, Y down)."
      })
  String gaze;

  @Option(
      names = "--control",
      paramLabel = "NAME=VALUE",
      description = "Any other control the pack takes, held over the whole job (repeatable).")
  Map<String, String> controls;

  /** The direction these options give, or null when none is given. */
  public Direction direction() throws InputValidator.BadInputException {
    Map<String, Float> knobs = new TreeMap<>();
    put(knobs, FarmControls.EXPRESSION_SCALE, expressionScale);
    put(knobs, FarmControls.HEAD_MOTION_SCALE, headMotion);
    put(knobs, FarmControls.LIP_SYNC, lipSync);
    put(knobs, FarmControls.BLINK_RATE, blinkRate);
    if (controls != null) {
      for (var e : controls.entrySet()) {
        knobs.put(e.getKey(), number("--control " + e.getKey(), e.getValue()));
      }
    }
    gaze(gaze, knobs);
    try {
      if (emotion != null && cues != null) {
        throw new InputValidator.BadInputException("give --emotion or --cues, not both");
      }
      Direction d = cues != null ? Directions.readCueSheet(cues) : null;
      return direction(d, emotion, knobs);
    } catch (Directions.BadDirection e) {
      throw new InputValidator.BadInputException(e.getMessage());
    }
  }

  /**
   * The direction of a cue sheet {@code sheet} (or null), an emotion timeline {@code emotion} (or
   * null) and knobs, which override the sheet's; null when all are empty.
   */
  public static Direction direction(Direction sheet, String emotion, Map<String, Float> knobs)
      throws Directions.BadDirection {
    Direction.Builder b = sheet == null ? Direction.newBuilder() : sheet.toBuilder();
    if (emotion != null && !emotion.isBlank()) {
      b.addAllCues(Directions.parseEmotions(emotion));
    }
    b.putAllControls(knobs);
    Direction d = b.build();
    return d.getCuesCount() == 0 && d.getControlsCount() == 0 ? null : d;
  }

  /** {@code --gaze camera|wander|X,Y} as the gaze controls. */
  public static void gaze(String gaze, Map<String, Float> knobs)
      throws InputValidator.BadInputException {
    if (gaze == null) {
      return;
    }
    String g = gaze.trim().toLowerCase(Locale.ROOT);
    switch (g) {
      case "camera" -> {
        knobs.put(FarmControls.GAZE_X, 0f);
        knobs.put(FarmControls.GAZE_Y, 0f);
        knobs.put(FarmControls.GAZE_WANDER, 0f);
      }
      case "wander" -> knobs.put(FarmControls.GAZE_WANDER, 1f);
      default -> {
        String[] xy = g.split(",", -1);
        if (xy.length != 2) {
          throw new InputValidator.BadInputException(
              "--gaze must be camera, wander or X,Y (each -1..1), got '" + gaze + "'");
        }
        knobs.put(FarmControls.GAZE_X, number("--gaze X", xy[0]));
        knobs.put(FarmControls.GAZE_Y, number("--gaze Y", xy[1]));
      }
    }
  }

  /**
   * Checks {@code d} against the job: a narration of {@code seconds} (a driving video's face sets
   * its own performance) and the pack's controls.
   */
  public static void check(
      Direction d, double seconds, boolean driving, List<PackManifest.Control> packControls)
      throws InputValidator.BadInputException {
    if (d == null) {
      return;
    }
    if (driving) {
      throw new InputValidator.BadInputException(
          "emotion, cues and performance controls direct a narration; with a driving video its"
              + " face sets the performance");
    }
    try {
      Directions.check(d, seconds, packControls);
    } catch (Directions.BadDirection e) {
      throw new InputValidator.BadInputException(e.getMessage());
    }
  }

  /**
   * The controls of the pack a farm with {@code settings} runs, read from its manifest without
   * loading it (null when it cannot be read: the pack's own error comes when the farm loads it).
   */
  public static List<PackManifest.Control> packControls(
      dev.actorfarm.runtime.FarmSettings settings) {
    try {
      PackManifest m =
          settings.referencePack()
              ? dev.actorfarm.pack.ReferencePack.manifest()
              : dev.actorfarm.runtime.pack.ModelPack.parse(settings.modelPackDir());
      return m.motionGenerator() == null ? null : m.motionGenerator().controls();
    } catch (java.io.IOException | RuntimeException e) {
      return null;
    }
  }

  private static void put(Map<String, Float> knobs, String name, Float value) {
    if (value != null) {
      knobs.put(name, value);
    }
  }

  private static float number(String what, String s) throws InputValidator.BadInputException {
    try {
      float v = Float.parseFloat(s.trim());
      if (!Float.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new InputValidator.BadInputException(what + " must be a number, got '" + s + "'");
    }
  }
}
