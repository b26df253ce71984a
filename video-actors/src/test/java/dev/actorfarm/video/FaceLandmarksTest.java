package dev.actorfarm.video;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.Face;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** dlib's 68 landmarks, fitted on BlazeFace's faces, graded against the hand annotations. */
class FaceLandmarksTest {

  static final Path ANNOTATIONS = Path.of("../examples/portraits/annotations.json");

  static FaceLandmarks landmarks;

  @BeforeAll
  static void load() throws Exception {
    landmarks = FaceLandmarks.load(ShapePredictor.DEBIAN_MODEL);
  }

  @Test
  void eyesAndMouthLandOnTheAnnotationsOfEveryKindOfFace() throws Exception {
    // Given every hand-annotated portrait with a face the detector finds
    double worstEye = 0;
    double worstMouth = 0;
    int graded = 0;
    int cornersIn = 0;
    for (AnnotatedPortraits.Portrait p : AnnotatedPortraits.read(ANNOTATIONS)) {
      if (!p.hasKeypoints() || p.noFace() || p.faceBoxOption()) {
        continue;
      }
      Mat image = Portraits.read(p.file());
      Face face = FaceLocator.detect(image).orElseThrow();
      // When the landmarks are fitted
      float[] pts = landmarks.fit(image, face);
      // Then the eye centres and the mouth centre are within a fraction of the eye distance of
      // the hand-placed points, and the mouth corners lie in the hand-drawn mouth box
      double iod = p.interOcular();
      double[] eyeA = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_A_FIRST, 6);
      double[] eyeB = FaceLandmarks.centroid(pts, FaceLandmarks.EYE_B_FIRST, 6);
      double[] mouth = FaceLandmarks.centroid(pts, FaceLandmarks.MOUTH_LEFT, 20);
      double eyeErr =
          Math.max(
                  p.eyes().get(0).distance(eyeA[0], eyeA[1]),
                  p.eyes().get(1).distance(eyeB[0], eyeB[1]))
              / iod;
      double mouthErr = p.mouthCentre().distance(mouth[0], mouth[1]) / iod;
      var mb = p.mouth();
      double slack = 0.1 * iod;
      boolean corners = true;
      for (int k : new int[] {FaceLandmarks.MOUTH_LEFT, FaceLandmarks.MOUTH_RIGHT}) {
        double x = pts[2 * k];
        double y = pts[2 * k + 1];
        corners &=
            x >= mb.x() - slack
                && x <= mb.x() + mb.width() + slack
                && y >= mb.y() - slack
                && y <= mb.y() + mb.height() + slack;
      }
      System.out.printf(
          Locale.ROOT,
          "%-18s eyes %.3f IOD, mouth %.3f IOD, corners in box %s%n",
          p.name(),
          eyeErr,
          mouthErr,
          corners);
      worstEye = Math.max(worstEye, eyeErr);
      worstMouth = Math.max(worstMouth, mouthErr);
      if (System.getenv("LANDMARK_SHEET") != null) {
        for (int i = 0; i < 68; i++) {
          org.bytedeco.opencv.global.opencv_imgproc.circle(
              image,
              new org.bytedeco.opencv.opencv_core.Point(
                  Math.round(pts[2 * i]), Math.round(pts[2 * i + 1])),
              1,
              new org.bytedeco.opencv.opencv_core.Scalar(0, 255, 0, 0));
        }
        org.bytedeco.opencv.global.opencv_imgcodecs.imwrite("/tmp/lm-" + p.name() + ".png", image);
      }
      cornersIn += corners ? 1 : 0;
      graded++;
    }
    // The boy's mouth is half hidden by his fist, and the tilted astronaut's box is the rotated
    // mouth's inscribed box: their corners may fall just outside.
    assertTrue(
        cornersIn >= graded - 2, cornersIn + " of " + graded + " mouths have both corners in");
    assertTrue(graded >= 5, "graded " + graded + " portraits");
    assertTrue(worstEye < 0.25, "worst eye error " + worstEye + " IOD");
    assertTrue(worstMouth < 0.15, "worst mouth error " + worstMouth + " IOD");
  }
}
