package dev.actorfarm.runtime.direction;

import dev.actorfarm.protocol.Cue;
import dev.actorfarm.protocol.Direction;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's direction as control values over time, for the controls a pack takes (in its order). Each
 * cue sets targets from its time on; a control eases from its previous value to the target along a
 * smoothstep over the cue's ease (default {@link #DEFAULT_EASE_SECONDS}, cut short by the control's
 * next cue, none for a cue at 0 s), so transitions have no jump. The values are a pure function of
 * the direction and the time, so a resumed job feeds exactly the values of an uninterrupted one.
 */
public final class ControlTrack {

  /** How long a transition takes when a cue says nothing: a face changes expression in ~0.5-1 s. */
  public static final double DEFAULT_EASE_SECONDS = 0.8;

  private final List<PackManifest.Control> controls;
  private final float[] base;
  private final Keys[] keys;

  private record Keys(double[] times, float[] values, double[] eases) {}

  /** The track of {@code options}' direction for {@code packControls}. */
  public ControlTrack(RenderOptions options, List<PackManifest.Control> packControls) {
    this.controls = new ArrayList<>();
    for (PackManifest.Control c :
        packControls == null ? List.<PackManifest.Control>of() : packControls) {
      controls.add(FarmControls.resolve(c));
    }
    Direction d = options.getDirection();
    Map<String, Float> knobs = new HashMap<>(d.getControlsMap());
    // The two knobs RenderOptions had before directions.
    if (options.getExpressionIntensity() != 0) {
      knobs.putIfAbsent(FarmControls.EXPRESSION_SCALE, options.getExpressionIntensity());
    }
    if (options.getHeadMotionScale() != 0) {
      knobs.putIfAbsent(FarmControls.HEAD_MOTION_SCALE, options.getHeadMotionScale());
    }
    int n = controls.size();
    this.base = new float[n];
    this.keys = new Keys[n];
    for (int i = 0; i < n; i++) {
      PackManifest.Control c = controls.get(i);
      base[i] = knobs.getOrDefault(c.name(), c.defaultValue());
      List<double[]> k = new ArrayList<>();
      for (Cue cue : d.getCuesList()) {
        Float v = target(cue, c.name());
        if (v != null) {
          double ease =
              cue.getTimeS() == 0 ? 0 : cue.getEaseS() > 0 ? cue.getEaseS() : DEFAULT_EASE_SECONDS;
          k.add(new double[] {cue.getTimeS(), v, ease});
        }
      }
      double[] t = new double[k.size()];
      float[] v = new float[k.size()];
      double[] e = new double[k.size()];
      for (int j = 0; j < k.size(); j++) {
        t[j] = k.get(j)[0];
        v[j] = (float) k.get(j)[1];
        e[j] = j + 1 < k.size() ? Math.min(k.get(j)[2], k.get(j + 1)[0] - t[j]) : k.get(j)[2];
      }
      keys[i] = new Keys(t, v, e);
    }
  }

  /** What {@code cue} sets control {@code name} to, or null when it leaves it alone. */
  static Float target(Cue cue, String name) {
    if (!cue.getEmotion().isEmpty() && name.startsWith("emotion_")) {
      String label = name.substring("emotion_".length());
      String set = cue.getEmotion();
      float intensity = set.equals("neutral") ? 1f : cue.getIntensity();
      if (label.equals(set)) {
        return intensity;
      }
      if (FarmControls.EMOTIONS.contains(label)) {
        return label.equals("neutral") ? 1f - intensity : 0f;
      }
    }
    return cue.getControlsMap().get(name);
  }

  /** The controls, in the pack's order, with the farm's ranges and defaults filled in. */
  public List<PackManifest.Control> controls() {
    return controls;
  }

  /** The control values at {@code seconds}, in the pack's order. */
  public float[] at(double seconds) {
    float[] out = new float[keys.length];
    for (int i = 0; i < keys.length; i++) {
      out[i] = clamp(value(i, seconds), controls.get(i));
    }
    return out;
  }

  /**
   * The values of {@code frames} frames from pack frame {@code first} at {@code fps}: {@code
   * [frames × C]}, row-major.
   */
  public float[] frames(int first, int frames, int fps) {
    int c = keys.length;
    float[] out = new float[frames * c];
    for (int f = 0; f < frames; f++) {
      System.arraycopy(at((double) (first + f) / fps), 0, out, f * c, c);
    }
    return out;
  }

  private float value(int i, double t) {
    Keys k = keys[i];
    int j = -1;
    while (j + 1 < k.times().length && k.times()[j + 1] <= t) {
      j++;
    }
    if (j < 0) {
      return base[i];
    }
    float prev = j == 0 ? base[i] : k.values()[j - 1];
    double d = k.eases()[j];
    double x = d <= 0 ? 1 : (t - k.times()[j]) / d;
    if (x >= 1) {
      return k.values()[j];
    }
    double s = x * x * (3 - 2 * x);
    return (float) (prev + (k.values()[j] - prev) * s);
  }

  private static float clamp(float v, PackManifest.Control c) {
    return Math.max(c.min(), Math.min(c.max(), v));
  }
}
