package dev.actorfarm.runtime.direction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.actorfarm.protocol.Cue;
import dev.actorfarm.protocol.Direction;
import dev.actorfarm.runtime.pack.PackManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a direction from what a director writes, and checks it: an emotion timeline ({@code
 * happy:0.8@0,sad:0.6@42.5,neutral@60}), a cue sheet (JSON or CSV: time, emotion, intensity, ease
 * and any control by name) and knobs. Every refusal is one line ({@link BadDirection}).
 */
public final class Directions {

  private Directions() {}

  /** A direction that cannot be used; the message is one line for the user. */
  public static final class BadDirection extends Exception {
    public BadDirection(String message) {
      super(message);
    }
  }

  /** Cue-sheet columns that are not controls. */
  private static final List<String> CUE_FIELDS = List.of("time", "emotion", "intensity", "ease");

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * An emotion timeline: comma-separated {@code label[:intensity][@seconds]}; only the first item
   * may leave out its time (then 0).
   */
  public static List<Cue> parseEmotions(String spec) throws BadDirection {
    List<Cue> cues = new ArrayList<>();
    String[] items = spec.split(",", -1);
    for (int i = 0; i < items.length; i++) {
      String item = items[i].trim();
      String where = "--emotion item " + (i + 1) + " '" + item + "'";
      int at = item.indexOf('@');
      String head = at < 0 ? item : item.substring(0, at);
      double time = 0;
      if (at >= 0) {
        time = number(item.substring(at + 1), where + ": time");
      } else if (i > 0) {
        throw new BadDirection(where + " has no time: write label[:intensity]@seconds");
      }
      int colon = head.indexOf(':');
      String label = (colon < 0 ? head : head.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
      float intensity =
          colon < 0 ? 1f : (float) number(head.substring(colon + 1), where + ": intensity");
      Cue.Builder c = Cue.newBuilder().setTimeS(time).setEmotion(label).setIntensity(intensity);
      cues.add(c.build());
    }
    return cues;
  }

  /** A cue sheet: {@code .json} (an array of cues, or {cues, controls}) or {@code .csv}. */
  public static Direction readCueSheet(Path file) throws BadDirection {
    String text;
    try {
      if (Files.size(file) > (1 << 20)) {
        throw new BadDirection("cue sheet " + file.getFileName() + " is larger than 1 MiB");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new BadDirection("cue sheet " + file.getFileName() + " is not UTF-8 text");
    } catch (IOException e) {
      throw new BadDirection("cannot read cue sheet " + file + ": " + e.getMessage());
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".csv") ? parseCsv(text) : parseJson(text, file.getFileName().toString());
  }

  /**
   * A JSON cue sheet: an array of cue objects, or an object with {@code cues} and {@code controls}.
   */
  public static Direction parseJson(String text, String what) throws BadDirection {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
      throw new BadDirection(what + " is not valid JSON: " + m);
    }
    Direction.Builder d = Direction.newBuilder();
    JsonNode cues = root;
    if (root != null && root.isObject()) {
      for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("cues") && !f.equals("controls")) {
          throw new BadDirection(what + ": unknown field '" + f + "' (use cues and controls)");
        }
      }
      JsonNode knobs = root.path("controls");
      if (!knobs.isMissingNode()) {
        if (!knobs.isObject()) {
          throw new BadDirection(what + ": controls must be an object of name: number");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = knobs.fields(); it.hasNext(); ) {
          var e = it.next();
          d.putControls(
              e.getKey(), (float) jsonNumber(e.getValue(), what + ": control " + e.getKey()));
        }
      }
      cues = root.path("cues");
    }
    if (cues == null || cues.isMissingNode()) {
      return d.build();
    }
    if (!cues.isArray()) {
      throw new BadDirection(what + ": cues must be an array of {time, emotion, intensity, ...}");
    }
    for (int i = 0; i < cues.size(); i++) {
      JsonNode c = cues.get(i);
      String where = what + " cue " + (i + 1);
      if (!c.isObject()) {
        throw new BadDirection(where + " is not an object");
      }
      if (!c.has("time")) {
        throw new BadDirection(where + " has no time");
      }
      Cue.Builder b = Cue.newBuilder().setTimeS(jsonNumber(c.get("time"), where + ": time"));
      for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
        var e = it.next();
        switch (e.getKey()) {
          case "time" -> {}
          case "emotion" -> {
            if (!e.getValue().isTextual()) {
              throw new BadDirection(where + ": emotion must be a label");
            }
            b.setEmotion(e.getValue().asText().trim().toLowerCase(Locale.ROOT));
          }
          case "intensity" ->
              b.setIntensity((float) jsonNumber(e.getValue(), where + ": intensity"));
          case "ease" -> b.setEaseS((float) jsonNumber(e.getValue(), where + ": ease"));
          default ->
              b.putControls(
                  e.getKey(), (float) jsonNumber(e.getValue(), where + ": " + e.getKey()));
        }
      }
      if (!b.getEmotion().isEmpty() && !c.has("intensity")) {
        b.setIntensity(1f);
      }
      if (c.has("intensity") && b.getEmotion().isEmpty()) {
        throw new BadDirection(where + " has an intensity but no emotion");
      }
      d.addCues(b);
    }
    return d.build();
  }

  /** A CSV cue sheet: a header row (time, emotion, intensity, ease, control names), then cues. */
  public static Direction parseCsv(String text) throws BadDirection {
    List<String> lines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    if (lines.isEmpty()) {
      throw new BadDirection(
          "cue sheet is empty: its first row names the columns (time, emotion, ...)");
    }
    String[] header = lines.get(0).split(",", -1);
    for (int i = 0; i < header.length; i++) {
      header[i] = header[i].trim().toLowerCase(Locale.ROOT);
    }
    if (!List.of(header).contains("time")) {
      throw new BadDirection("cue sheet header has no 'time' column: " + lines.get(0).strip());
    }
    Direction.Builder d = Direction.newBuilder();
    for (int r = 1; r < lines.size(); r++) {
      String[] cells = lines.get(r).split(",", -1);
      String where = "cue sheet row " + (r + 1);
      if (cells.length != header.length) {
        throw new BadDirection(
            where + " has " + cells.length + " cells, the header " + header.length);
      }
      Cue.Builder b = Cue.newBuilder();
      boolean intensity = false;
      for (int i = 0; i < cells.length; i++) {
        String cell = cells[i].trim();
        if (cell.isEmpty()) {
          continue;
        }
        switch (header[i]) {
          case "time" -> b.setTimeS(number(cell, where + ": time"));
          case "emotion" -> b.setEmotion(cell.toLowerCase(Locale.ROOT));
          case "intensity" -> {
            b.setIntensity((float) number(cell, where + ": intensity"));
            intensity = true;
          }
          case "ease" -> b.setEaseS((float) number(cell, where + ": ease"));
          default -> b.putControls(header[i], (float) number(cell, where + ": " + header[i]));
        }
      }
      if (cells[List.of(header).indexOf("time")].isBlank()) {
        throw new BadDirection(where + " has no time");
      }
      if (!b.getEmotion().isEmpty() && !intensity) {
        b.setIntensity(1f);
      }
      d.addCues(b);
    }
    return d.build();
  }

  /** A direction as a JSON cue sheet, {@code {controls, cues}}, which {@link #parseJson} reads. */
  public static String toJson(Direction d) {
    var root = JSON.createObjectNode();
    var knobs = root.putObject("controls");
    new java.util.TreeMap<>(d.getControlsMap()).forEach(knobs::put);
    var cues = root.putArray("cues");
    for (Cue c : d.getCuesList()) {
      var o = cues.addObject();
      o.put("time", c.getTimeS());
      if (!c.getEmotion().isEmpty()) {
        o.put("emotion", c.getEmotion());
        o.put("intensity", c.getIntensity());
      }
      if (c.getEaseS() > 0) {
        o.put("ease", c.getEaseS());
      }
      new java.util.TreeMap<>(c.getControlsMap()).forEach(o::put);
    }
    return root.toString();
  }

  /**
   * Checks a direction against the narration's length ({@code seconds}, 0 when unknown) and the
   * pack's controls ({@code null}: not known here, so only the farm's own controls are checked):
   * known emotions, intensities in [0, 1], times in order and within the narration, known controls
   * within their ranges.
   */
  public static void check(Direction d, double seconds, List<PackManifest.Control> packControls)
      throws BadDirection {
    for (var e : d.getControlsMap().entrySet()) {
      checkControl(e.getKey(), e.getValue(), "control", packControls);
    }
    double last = -1;
    for (int i = 0; i < d.getCuesCount(); i++) {
      Cue c = d.getCues(i);
      String where = "cue " + (i + 1) + " at " + fmt(c.getTimeS()) + " s";
      if (!Double.isFinite(c.getTimeS()) || c.getTimeS() < 0) {
        throw new BadDirection(
            "cue " + (i + 1) + ": time must be 0 or more seconds, got " + c.getTimeS());
      }
      if (c.getTimeS() <= last) {
        throw new BadDirection(
            where
                + " is not after cue "
                + i
                + " at "
                + fmt(last)
                + " s: cues must be in time order");
      }
      if (seconds > 0 && c.getTimeS() > seconds) {
        throw new BadDirection(
            where + " is past the end of the narration (" + fmt(seconds) + " s)");
      }
      last = c.getTimeS();
      if (!c.getEmotion().isEmpty() && !FarmControls.EMOTIONS.contains(c.getEmotion())) {
        throw new BadDirection(
            where
                + ": unknown emotion '"
                + c.getEmotion()
                + "' (one of "
                + String.join(", ", FarmControls.EMOTIONS)
                + ")");
      }
      if (!(c.getIntensity() >= 0 && c.getIntensity() <= 1)) {
        throw new BadDirection(where + ": intensity " + c.getIntensity() + " is outside 0..1");
      }
      if (!(c.getEaseS() >= 0 && c.getEaseS() <= 60)) {
        throw new BadDirection(where + ": ease " + c.getEaseS() + " s is outside 0..60");
      }
      for (var e : c.getControlsMap().entrySet()) {
        checkControl(e.getKey(), e.getValue(), where + ": control", packControls);
      }
    }
  }

  private static void checkControl(
      String name, float value, String where, List<PackManifest.Control> packControls)
      throws BadDirection {
    PackManifest.Control c = null;
    if (packControls != null) {
      for (PackManifest.Control p : packControls) {
        if (p.name().equals(name)) {
          c = FarmControls.resolve(p);
        }
      }
    }
    if (c == null && FarmControls.STANDARD.containsKey(name)) {
      c = FarmControls.STANDARD.get(name);
    }
    if (c == null && packControls == null) {
      return; // the pack is not known here: whoever runs the job checks it
    }
    if (c == null) {
      throw new BadDirection(
          where
              + " '"
              + name
              + "' is unknown (the farm's: "
              + String.join(", ", FarmControls.STANDARD.keySet())
              + ")");
    }
    if (!(value >= c.min() && value <= c.max())) {
      throw new BadDirection(
          where + " " + name + " = " + value + " is outside " + fmt(c.min()) + ".." + fmt(c.max()));
    }
  }

  private static double number(String s, String what) throws BadDirection {
    try {
      double v = Double.parseDouble(s.trim());
      if (!Double.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new BadDirection(what + " '" + s.trim() + "' is not a number");
    }
  }

  private static double jsonNumber(JsonNode n, String what) throws BadDirection {
    if (n == null || !n.isNumber()) {
      throw new BadDirection(
          what + " must be a number, got " + (n == null ? "nothing" : n.toString()));
    }
    return n.asDouble();
  }

  static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e9
        ? String.valueOf((long) v)
        : String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "");
  }
}
