package dev.actorfarm.video;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.render.Portraits;
import dev.actorfarm.runtime.motion.DrivingMeasures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Driving videos as phones and editors write them: rotation metadata, variable frame rate. */
class DrivingVideoDecodeTest {

  @TempDir Path dir;

  static final Path ASTRONAUT = Path.of("../examples/astronaut.png");

  static FFmpegFrameRecorder recorder(Path file, int w, int h) throws Exception {
    FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toFile(), w, h, 0);
    rec.setFormat("mp4");
    rec.setFrameRate(25);
    rec.setVideoCodec(avcodec.AV_CODEC_ID_H264);
    rec.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
    rec.setVideoOption("preset", "ultrafast");
    rec.setVideoOption("crf", "12");
    return rec;
  }

  @Test
  void aVideoStoredSidewaysWithRotationMetadataIsDecodedUpright() throws Exception {
    // Given the astronaut stored turned a quarter clockwise, with the display matrix that turns
    // it back (as a phone held upright writes it)
    Mat upright = Portraits.read(ASTRONAUT);
    Mat sideways = new Mat();
    opencv_core.rotate(upright, sideways, opencv_core.ROTATE_90_CLOCKWISE);
    Path file = dir.resolve("phone.mp4");
    var conv = new OpenCVFrameConverter.ToMat();
    try (FFmpegFrameRecorder rec = recorder(file, sideways.cols(), sideways.rows())) {
      rec.setDisplayRotation(90);
      rec.start();
      for (int i = 0; i < 5; i++) {
        rec.record(conv.convert(sideways));
      }
    }
    // When it is probed and decoded
    var probe =
        DrivingVideo.probe(file, new dev.actorfarm.runtime.FarmSettings.Limits(60, 64, 4096));
    Mat upsideDown = new Mat();
    opencv_core.rotate(upright, upsideDown, opencv_core.ROTATE_180);
    List<Double> diffs = new ArrayList<>();
    List<Double> wrong = new ArrayList<>();
    DrivingVideo.decode(
        file,
        (bgr, t) -> {
          Mat d = new Mat();
          opencv_core.absdiff(bgr, upright, d);
          diffs.add(opencv_core.mean(d).get(0));
          opencv_core.absdiff(bgr, upsideDown, d);
          wrong.add(opencv_core.mean(d).get(0));
        });
    // Then the frames are the upright picture (only the codec's noise differs), far from any
    // other way round
    assertThat(probe.rotation()).isEqualTo(270);
    assertThat(probe.width()).isEqualTo(upright.cols());
    assertThat(diffs).hasSize(5).allSatisfy(d -> assertThat(d).isLessThan(10));
    assertThat(wrong).allSatisfy(d -> assertThat(d).isGreaterThan(30));
  }

  @Test
  void aVariableFrameRateVideoIsMeasuredAtItsFramesTimes() throws Exception {
    // Given a face moving right at 100 px/s, filmed at irregular moments (20-80 ms apart)
    Mat face = Portraits.read(ASTRONAUT);
    Path file = dir.resolve("vfr.mp4");
    var conv = new OpenCVFrameConverter.ToMat();
    Random random = new Random(9);
    double t = 0;
    try (FFmpegFrameRecorder rec = recorder(file, 640, 512)) {
      rec.setFrameRate(1000);
      rec.start();
      while (t < 4) {
        Mat frame = new Mat(512, 640, opencv_core.CV_8UC3);
        Mat shift = new Mat(2, 3, opencv_core.CV_64F);
        var idx = (org.bytedeco.javacpp.indexer.DoubleIndexer) shift.createIndexer();
        idx.put(0, 0, 1).put(0, 1, 0).put(0, 2, 100 * t).put(1, 0, 0).put(1, 1, 1).put(1, 2, 0);
        opencv_imgproc.warpAffine(face, frame, shift, new Size(640, 512));
        rec.setTimestamp(Math.round(t * 1e6));
        rec.record(conv.convert(frame));
        t += 0.02 + 0.06 * random.nextDouble();
      }
    }
    // When it is analysed at 25 fps
    FaceLandmarks landmarks = FaceLandmarks.load(ShapePredictor.DEBIAN_MODEL);
    List<float[]> rows = new ArrayList<>();
    DrivingAnalysis.Result r =
        new DrivingAnalysis(landmarks)
            .run(
                file,
                25,
                50,
                s -> {},
                (i, m, frames) -> {
                  for (int f = 0; f < frames; f++) {
                    rows.add(
                        java.util.Arrays.copyOfRange(
                            m, f * DrivingMeasures.K, (f + 1) * DrivingMeasures.K));
                  }
                });
    // Then every output frame is at its own time: the face's place follows 100 px/s at 1/25 s a
    // frame, to a pixel or two, and the frame count is the duration at 25 fps
    assertThat(rows).hasSize(r.outputFrames());
    assertThat(r.outputFrames()).isEqualTo((int) Math.round(r.seconds() * 25));
    float x0 = rows.get(0)[DrivingMeasures.X_PX];
    for (int k = 1; k < rows.size() - 2; k++) {
      double expected = x0 + 100.0 * k / 25;
      assertThat((double) rows.get(k)[DrivingMeasures.X_PX])
          .as("frame " + k)
          .isCloseTo(expected, org.assertj.core.api.Assertions.within(2.5));
    }
  }
}
