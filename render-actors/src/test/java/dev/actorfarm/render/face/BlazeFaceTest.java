package dev.actorfarm.render.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Test;

class BlazeFaceTest {

  private static Face face(double x, double y, double side, double score) {
    double[] k = new double[2 * Face.KEYPOINTS];
    for (int i = 0; i < Face.KEYPOINTS; i++) {
      k[2 * i] = x + side * (i + 1) / 8;
      k[2 * i + 1] = y + side / 2;
    }
    return new Face(x, y, side, side, k, score);
  }

  @Test
  void overlappingDetectionsMergeIntoTheirScoreWeightedMean() {
    // Given two detections of one face (IoU 0.82) and one of another face far away
    Face strong = face(100, 100, 100, 0.9);
    Face weak = face(110, 100, 100, 0.6);
    Face other = face(400, 100, 50, 0.7);
    // When they are suppressed MediaPipe's way
    List<Face> merged = BlazeFace.weightedNms(List.of(weak, other, strong), BlazeFace.MERGE_IOU);
    // Then the two become one at their weighted mean, with the best score, and the other stays
    assertThat(merged).hasSize(2);
    Face one = merged.get(0);
    assertThat(one.score()).isEqualTo(0.9);
    assertThat(one.x()).isCloseTo((0.9 * 100 + 0.6 * 110) / 1.5, within(1e-9));
    assertThat(one.kx(Face.EYE_A)).isCloseTo((0.9 * 112.5 + 0.6 * 122.5) / 1.5, within(1e-9));
    assertThat(merged.get(1).x()).isEqualTo(400);
    assertThat(BlazeFace.iou(strong, other)).isZero();
  }

  @Test
  void aFlatImageHasNoFace() throws Exception {
    Mat grey = new Mat(300, 400, opencv_core.CV_8UC3, new Scalar(120, 120, 120, 0));
    assertThat(BlazeFace.get().detect(grey)).isEmpty();
  }

  @Test
  void rollComesFromTheEyeLine() {
    double[] k = new double[2 * Face.KEYPOINTS];
    k[0] = 100;
    k[1] = 100;
    k[2] = 200;
    k[3] = 100 + 100 * Math.tan(Math.toRadians(15));
    Face f = new Face(50, 50, 200, 200, k, 1);
    assertThat(Math.toDegrees(f.roll())).isCloseTo(15, within(1e-9));
    assertThat(f.interOcular()).isCloseTo(100 / Math.cos(Math.toRadians(15)), within(1e-9));
  }
}
