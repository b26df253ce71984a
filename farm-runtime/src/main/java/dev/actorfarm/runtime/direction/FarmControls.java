package dev.actorfarm.runtime.direction;

import dev.actorfarm.runtime.pack.PackManifest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The controls the farm knows by name, with their ranges and defaults: the eight emotions (the MEAD
 * and AffectNet set, each a weight in [0, 1], neutral taking what the others leave) and the
 * performance knobs. A pack lists the ones its motion generator takes, in the order it takes them
 * ({@link PackManifest.MotionGenerator#controls()}); the farm feeds each by name.
 */
public final class FarmControls {

  private FarmControls() {}

  /** The emotion labels, in the order of the MEAD and AffectNet set. */
  public static final List<String> EMOTIONS =
      List.of(
          "neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted", "contemptuous");

  public static final String EXPRESSION_SCALE = "expression_scale";
  public static final String HEAD_MOTION_SCALE = "head_motion_scale";
  public static final String LIP_SYNC = "lip_sync";
  public static final String BLINK_RATE = "blink_rate";
  public static final String GAZE_X = "gaze_x";
  public static final String GAZE_Y = "gaze_y";
  public static final String GAZE_WANDER = "gaze_wander";
  public static final String PROSODY = "prosody";

  /** Blinks a minute at rest (human resting rate 15-20). */
  public static final float DEFAULT_BLINK_RATE = 17f;

  /** The farm's controls by name: range and default. */
  public static final Map<String, PackManifest.Control> STANDARD = standard();

  /** The control that carries emotion {@code label}'s weight. */
  public static String emotionControl(String label) {
    return "emotion_" + label;
  }

  private static Map<String, PackManifest.Control> standard() {
    Map<String, PackManifest.Control> m = new LinkedHashMap<>();
    for (String e : EMOTIONS) {
      put(m, emotionControl(e), 0, 1, e.equals("neutral") ? 1 : 0);
    }
    put(m, EXPRESSION_SCALE, 0, 2, 1); // emotion and prosody expressions
    put(m, HEAD_MOTION_SCALE, 0, 2, 1);
    put(m, LIP_SYNC, 0, 2, 1); // how far the mouth follows the speech
    put(m, BLINK_RATE, 0, 60, DEFAULT_BLINK_RATE); // blinks a minute
    put(m, GAZE_X, -1, 1, 0); // -1 the portrait's left edge of the frame, +1 its right
    put(m, GAZE_Y, -1, 1, 0); // -1 up, +1 down
    put(m, GAZE_WANDER, 0, 1, 0); // 0 holds the gaze, 1 looks around
    put(m, PROSODY, 0, 2, 1); // how far expressiveness follows the audio's energy
    return java.util.Collections.unmodifiableMap(m);
  }

  private static void put(
      Map<String, PackManifest.Control> m, String name, float lo, float hi, float d) {
    m.put(name, new PackManifest.Control(name, lo, hi, d));
  }

  /**
   * A pack's control with the farm's range and default filled in where its manifest leaves them out
   * (0 and no bounds for a control the farm does not know).
   */
  public static PackManifest.Control resolve(PackManifest.Control c) {
    PackManifest.Control std = STANDARD.get(c.name());
    float lo = c.min() != null ? c.min() : std != null ? std.min() : Float.NEGATIVE_INFINITY;
    float hi = c.max() != null ? c.max() : std != null ? std.max() : Float.POSITIVE_INFINITY;
    float d = c.defaultValue() != null ? c.defaultValue() : std != null ? std.defaultValue() : 0f;
    return new PackManifest.Control(c.name(), lo, hi, d);
  }
}
