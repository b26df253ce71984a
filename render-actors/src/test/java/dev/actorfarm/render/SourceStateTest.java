package dev.actorfarm.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.AnnotatedPortraits.Portrait;
import dev.actorfarm.render.face.CropFrame;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Path;
import org.bytedeco.javacpp.indexer.UByteIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source state: upright crop, landmarks for the pack, and the paste-back of rendered crops. */
class SourceStateTest {

  static final Path ANNOTATIONS = Path.of("../examples/portraits/annotations.json");
  static final int M = dev.actorfarm.pack.ReferenceParameters.M;

  @TempDir static Path dir;
  static ModelPack pack;
  static OrtSession sourceEncoder;
  static FrameRenderer renderer;

  @BeforeAll
  static void open() throws Exception {
    pack = ReferencePack.ensure(dir.resolve("pack"));
    sourceEncoder = OnnxSessions.open(pack.file(pack.manifest().sourceEncoder().file()), "cpu", 1);
    renderer = new FrameRenderer(pack, "cpu", 1);
  }

  @AfterAll
  static void close() throws Exception {
    renderer.close();
    sourceEncoder.close();
  }

  private static SourceState state(Portrait p) throws Exception {
    return SourceState.build(Portraits.read(p.file()), null, pack.manifest(), sourceEncoder, false);
  }

  @Test
  void theLandmarksReachThePackInUprightCropCoordinates() throws Exception {
    // Given a head tilted by 20 degrees
    Portrait tilted = AnnotatedPortraits.named(ANNOTATIONS, "tilted");
    SourceState state = state(tilted);
    // Then the pack is given the face's keypoints, normalised in the crop
    float[] landmarks = state.appearance().get(SourceState.LANDMARKS);
    assertThat(landmarks).hasSize(2 * Face.KEYPOINTS);
    assertThat(state.appearanceShape(SourceState.LANDMARKS)).containsExactly(1, 6, 2);
    // and in the crop the eyes are level (the crop is turned upright) and left of right
    assertThat(landmarks[1]).isCloseTo(landmarks[3], within(1e-4f));
    assertThat(landmarks[0]).isLessThan(landmarks[2]);
    // and they are the face's keypoints mapped through the crop
    Face f = state.face();
    CropFrame frame =
        CropFrame.of(
            f,
            pack.manifest().sourceEncoder().cropScale(),
            pack.manifest().sourceEncoder().cropShiftY(),
            pack.manifest().sourceEncoder().cropSize());
    double[] mouth = frame.normalised(f.kx(Face.MOUTH), f.ky(Face.MOUTH));
    assertThat((double) landmarks[2 * Face.MOUTH]).isCloseTo(mouth[0], within(1e-6));
    assertThat((double) landmarks[2 * Face.MOUTH + 1]).isCloseTo(mouth[1], within(1e-6));
    // and the mouth lies below the eyes, within the crop
    assertThat(landmarks[2 * Face.MOUTH + 1]).isGreaterThan(landmarks[1]).isLessThan(1f);
  }

  @Test
  void atRestTheFrameIsThePortraitPixelForPixel() throws Exception {
    // Given portraits of three kinds and the rest pose
    for (String name : new String[] {"hopper", "crowd", "cartoon"}) {
      Portrait p = AnnotatedPortraits.named(ANNOTATIONS, name);
      SourceState state = state(p);
      Mat bgr = Portraits.read(p.file());
      // When a frame is rendered and pasted back
      Mat frame = state.composite(renderer.render(state, new float[M], 1, M), 0);
      // Then it is the portrait's own pixels, exactly
      Mat expected =
          new Mat(bgr, new org.bytedeco.opencv.opencv_core.Rect(0, 0, frame.cols(), frame.rows()));
      Mat diff = new Mat();
      opencv_core.absdiff(frame, expected, diff);
      assertThat(opencv_core.countNonZero(diff.reshape(1, 0))).as(name).isZero();
      // and a frame with the jaw open differs from it at the mouth only
      float[] open = new float[M];
      open[5] = 1f;
      Mat speaking = state.composite(renderer.render(state, open, 1, M), 0);
      opencv_core.absdiff(speaking, expected, diff);
      var mouth = p.mouth();
      double inMouth = meanIn(diff, mouth.x(), mouth.y(), mouth.width(), mouth.height());
      assertThat(inMouth).as(name).isGreaterThan(10);
      assertThat(meanIn(diff, 0, 0, frame.cols(), 8)).as(name).isZero();
    }
  }

  private static double meanIn(Mat diff, double x, double y, double w, double h) {
    Mat roi =
        new Mat(diff, new org.bytedeco.opencv.opencv_core.Rect((int) x, (int) y, (int) w, (int) h));
    UByteIndexer idx = roi.createIndexer();
    double sum = 0;
    for (int r = 0; r < roi.rows(); r++) {
      for (int c = 0; c < roi.cols(); c++) {
        for (int k = 0; k < 3; k++) {
          sum += idx.get(r, c, k);
        }
      }
    }
    idx.close();
    return sum / (roi.rows() * roi.cols() * 3.0);
  }
}
