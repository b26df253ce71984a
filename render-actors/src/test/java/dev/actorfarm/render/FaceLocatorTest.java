package dev.actorfarm.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Box;
import dev.actorfarm.render.face.AnnotatedPortraits.Point;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import dev.actorfarm.render.face.Face;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The face analysis graded against the hand annotations of examples/portraits. */
class FaceLocatorTest {

  static final Path ANNOTATIONS = Path.of("../examples/portraits/annotations.json");

  @Test
  void findsEveryAnnotatedFaceWithItsBoxAndKeypoints() throws Exception {
    // Given portraits of different kinds, annotated by hand
    List<Portrait> set =
        AnnotatedPortraits.read(ANNOTATIONS).stream().filter(Portrait::hasKeypoints).toList();
    assertThat(set).hasSizeGreaterThanOrEqualTo(6);
    for (Portrait p : set) {
      // When the face is located
      Face f = FaceLocator.detect(Portraits.read(p.file())).orElseThrow();
      // Then its box overlaps the annotated face and its keypoints lie on the annotated ones
      Box found = new Box(f.x(), f.y(), f.width(), f.height());
      double tolerance = 0.10 * p.interOcular();
      double eyeA = p.eyes().get(0).distance(f.kx(Face.EYE_A), f.ky(Face.EYE_A));
      double eyeB = p.eyes().get(1).distance(f.kx(Face.EYE_B), f.ky(Face.EYE_B));
      double nose = p.nose().distance(f.kx(Face.NOSE), f.ky(Face.NOSE));
      double mouth = p.mouthCentre().distance(f.kx(Face.MOUTH), f.ky(Face.MOUTH));
      String report =
          String.format(
              Locale.ROOT,
              "%s: IoU %.2f, keypoint errors (eyes, nose, mouth) %.1f %.1f %.1f %.1f px,"
                  + " tolerance %.1f px",
              p.name(),
              found.iou(p.face()),
              eyeA,
              eyeB,
              nose,
              mouth,
              tolerance);
      System.out.println(report);
      assertThat(found.iou(p.face())).as(report).isGreaterThanOrEqualTo(0.7);
      assertThat(List.of(eyeA, eyeB, nose, mouth))
          .as(report)
          .allSatisfy(e -> assertThat(e).isLessThanOrEqualTo(tolerance));
      // and the roll is the annotated eye line's
      double roll =
          Math.atan2(
              p.eyes().get(1).y() - p.eyes().get(0).y(), p.eyes().get(1).x() - p.eyes().get(0).x());
      assertThat(Math.toDegrees(Math.abs(f.roll() - roll))).as(report).isLessThan(5);
    }
  }

  @Test
  void aPictureWithoutAHumanFaceHasNone() throws Exception {
    for (Portrait p : AnnotatedPortraits.read(ANNOTATIONS)) {
      if (p.noFace() || p.faceBoxOption()) {
        assertThat(FaceLocator.detect(Portraits.read(p.file()))).as(p.name()).isEmpty();
      }
    }
  }

  @Test
  void ofSeveralFacesTheLargestIsTaken() throws Exception {
    Portrait crowd =
        AnnotatedPortraits.read(ANNOTATIONS).stream()
            .filter(p -> p.name().equals("crowd"))
            .findFirst()
            .orElseThrow();
    Face f = FaceLocator.detect(Portraits.read(crowd.file())).orElseThrow();
    assertThat(new Box(f.x(), f.y(), f.width(), f.height()).iou(crowd.face())).isGreaterThan(0.7);
  }

  @Test
  void aGivenBoxKeepsItsPlaceAndTakesTheKeypointsOfTheFaceInside() throws Exception {
    Portrait hopper =
        AnnotatedPortraits.read(ANNOTATIONS).stream()
            .filter(p -> p.name().equals("hopper"))
            .findFirst()
            .orElseThrow();
    var image = Portraits.read(hopper.file());
    FaceBox given = FaceBox.newBuilder().setX(180).setY(130).setWidth(180).setHeight(195).build();
    Face f = FaceLocator.within(image, given);
    assertThat(f.box()).isEqualTo(given);
    Point eye = hopper.eyes().get(0);
    assertThat(eye.distance(f.kx(Face.EYE_A), f.ky(Face.EYE_A)))
        .isLessThan(0.1 * hopper.interOcular());
    // A box on a face the detector does not know stands for an upright face filling it
    FaceBox sky = FaceBox.newBuilder().setX(10).setY(10).setWidth(100).setHeight(100).build();
    Face fallback = FaceLocator.within(image, sky);
    assertThat(fallback.score()).isZero();
    assertThat(fallback.kx(Face.EYE_A)).isEqualTo(40);
    assertThat(fallback.ky(Face.MOUTH)).isEqualTo(88);
  }
}
