package dev.actorfarm.render.face;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A set of portraits with hand-made annotations (face and mouth boxes, eye centres, nose tip, mouth
 * centre), read from an {@code annotations.json} like {@code examples/portraits/annotations.json}.
 * What the detector test and the fidelity harness grade against: never the farm's own detector.
 */
public final class AnnotatedPortraits {

  /** A box in portrait pixels. */
  public record Box(double x, double y, double width, double height) {
    public double iou(Box o) {
      double ix = Math.min(x + width, o.x + o.width) - Math.max(x, o.x);
      double iy = Math.min(y + height, o.y + o.height) - Math.max(y, o.y);
      if (ix <= 0 || iy <= 0) {
        return 0;
      }
      double inter = ix * iy;
      return inter / (width * height + o.width * o.height - inter);
    }
  }

  /** A point in portrait pixels. */
  public record Point(double x, double y) {
    public double distance(double ox, double oy) {
      return Math.hypot(ox - x, oy - y);
    }
  }

  /**
   * One annotated portrait. {@code face} and {@code mouth} are absent for a portrait without a
   * face; the keypoints are absent for a non-human face, which is animated from {@code --face-box
   * face}.
   */
  public record Portrait(
      String name,
      Path file,
      String kind,
      String source,
      Box face,
      Box mouth,
      List<Point> eyes,
      Point nose,
      Point mouthCentre,
      boolean faceBoxOption,
      boolean noFace) {

    public boolean hasKeypoints() {
      return eyes != null && !eyes.isEmpty();
    }

    public double interOcular() {
      return eyes.get(0).distance(eyes.get(1).x(), eyes.get(1).y());
    }
  }

  private AnnotatedPortraits() {}

  /** The portraits of {@code annotations}, their files resolved against its folder. */
  public static List<Portrait> read(Path annotations) throws IOException {
    JsonNode root = new ObjectMapper().readTree(annotations.toFile());
    List<Portrait> out = new ArrayList<>();
    for (JsonNode p : root.path("portraits")) {
      List<Point> eyes = null;
      if (p.has("eyes")) {
        eyes = new ArrayList<>();
        for (JsonNode e : p.get("eyes")) {
          eyes.add(point(e));
        }
      }
      out.add(
          new Portrait(
              p.path("name").asText(),
              annotations.toAbsolutePath().getParent().resolve(p.path("file").asText()).normalize(),
              p.path("kind").asText(),
              p.path("source").asText(),
              box(p.get("face")),
              box(p.get("mouth")),
              eyes,
              p.has("nose") ? point(p.get("nose")) : null,
              p.has("mouth_centre") ? point(p.get("mouth_centre")) : null,
              p.path("face_box_option").asBoolean(false),
              p.path("no_face").asBoolean(false)));
    }
    return out;
  }

  /** The portrait called {@code name} in {@code annotations}. */
  public static Portrait named(Path annotations, String name) throws IOException {
    return read(annotations).stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IOException(annotations + " has no portrait '" + name + "'"));
  }

  private static Box box(JsonNode n) {
    return n == null
        ? null
        : new Box(
            n.get(0).asDouble(), n.get(1).asDouble(), n.get(2).asDouble(), n.get(3).asDouble());
  }

  private static Point point(JsonNode n) {
    return new Point(n.get(0).asDouble(), n.get(1).asDouble());
  }
}
