package dev.actorfarm.video;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.render.Portraits;
import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.nio.file.Path;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tracker on stills of the test portraits, shown as video frames. */
class FaceTrackerTest {

  static FaceLandmarks landmarks;

  @BeforeAll
  static void load() throws Exception {
    landmarks = FaceLandmarks.load(ShapePredictor.DEBIAN_MODEL);
  }

  static Mat frame(String name) throws Exception {
    Mat img = Portraits.read(Path.of("../examples/portraits/" + name));
    Mat out = new Mat();
    opencv_imgproc.resize(img, out, new Size(512, 512));
    return out;
  }

  @Test
  void aStillFaceSettlesOnTheSameMeasuresAndIsAnchoredOnce() throws Exception {
    FaceTracker t = new FaceTracker(landmarks);
    Mat still = frame("astronaut_tilted.png");
    float[] anchor = t.measure(still);
    assertThat(anchor[DrivingMeasures.PRESENT]).isEqualTo(1f);
    assertThat(anchor[DrivingMeasures.CUT]).isEqualTo(1f);
    t.measure(still);
    float[] first = t.measure(still);
    for (int i = 0; i < 10; i++) {
      float[] next = t.measure(still);
      assertThat(next[DrivingMeasures.CUT]).isZero();
      for (int k = DrivingMeasures.YAW; k < DrivingMeasures.K; k++) {
        assertThat(next[k]).as("measure " + k).isEqualTo(first[k]);
      }
    }
  }

  @Test
  void aCutToAnotherFaceReanchorsAndAFacelessFrameIsLost() throws Exception {
    FaceTracker t = new FaceTracker(landmarks);
    t.measure(frame("bach.png"));
    float[] other = t.measure(frame("hopper.jpg"));
    assertThat(other[DrivingMeasures.PRESENT]).isEqualTo(1f);
    assertThat(other[DrivingMeasures.CUT]).isEqualTo(1f);
    float[] none = t.measure(frame("coffee.png"));
    assertThat(none[DrivingMeasures.PRESENT]).isZero();
    float[] back = t.measure(frame("hopper.jpg"));
    assertThat(back[DrivingMeasures.CUT]).isEqualTo(1f);
  }

  @Test
  void faceTooSmallToMeasureCountsAsLost() throws Exception {
    // The crowd's faces, shrunk to a 512 px frame, have eyes under 20 px apart
    FaceTracker t = new FaceTracker(landmarks);
    assertThat(t.measure(frame("crowd.png"))[DrivingMeasures.PRESENT]).isZero();
  }
}
