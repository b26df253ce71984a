package dev.actorfarm.render.liveportrait;

import static org.junit.jupiter.api.Assertions.*;

import dev.actorfarm.pack.LivePortraitTwin;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.FaceLocator;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.face.AnnotatedPortraits;
import dev.actorfarm.render.face.CropFrame;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The twin of FasterLivePortrait's files through the farm's LivePortrait pipeline, on portraits
 * with hand-annotated mouth boxes: at rest the output is the crop; opening the jaw moves the pixels
 * of the annotated mouth and little else; a head yaw moves the face sideways.
 */
class LivePortraitTwinTest {

  @TempDir static Path dir;
  static ModelPack pack;
  static LivePortraitEngine engine;
  static List<AnnotatedPortraits.Portrait> portraits;

  @BeforeAll
  static void setUp() throws Exception {
    Path ref = ReferencePack.ensure(dir.resolve("reference")).dir();
    LivePortraitTwin.generate(dir.resolve("lp"));
    pack = ModelPack.load(dir.resolve("lp"), ref);
    engine = new LivePortraitEngine(pack, "cpu", 1);
    portraits =
        AnnotatedPortraits.read(Path.of("../examples/portraits/annotations.json")).stream()
            .filter(AnnotatedPortraits.Portrait::hasKeypoints)
            .toList();
  }

  @AfterAll
  static void tearDown() throws Exception {
    engine.close();
  }

  static float[] frame(float yaw, float open) {
    float[] f = new float[dev.actorfarm.pack.ReferenceParameters.M];
    f[0] = yaw;
    f[5] = open;
    return f;
  }

  @Test
  void restIsTheCropAndTheMouthAndHeadMoveWhereTheyShould() throws Exception {
    Path out = Path.of("target/lp-twin");
    Files.createDirectories(out);
    for (AnnotatedPortraits.Portrait p : portraits) {
      Mat portrait = Portraits.evenCrop(Portraits.read(p.file()));
      Face face = FaceLocator.detect(portrait).orElseThrow();
      LivePortraitEngine.Source s = engine.prepare(portrait, face);
      CropFrame c512 = engine.sourceCrop(face, 512);
      float[] crop = LivePortraitEngine.crop(portrait, c512, 512);
      float[] rest = copy(engine.render(s, frame(0, 0), null));
      float[] open = copy(engine.render(s, frame(0, 1), null));
      float[] yaw = copy(engine.render(s, frame(0.25f, 0), null));
      save(out.resolve(p.name() + "-rest.png"), rest);
      save(out.resolve(p.name() + "-open.png"), open);
      save(out.resolve(p.name() + "-yaw.png"), yaw);
      // At rest x_d = x_s: the warp is the identity and the output is the crop.
      double restError = meanAbs(rest, crop, 0, 512, 0, 512);
      assertTrue(restError < 0.02, p.name() + ": rest differs from the crop by " + restError);
      // The hand-annotated mouth box, in the 512 crop.
      var m = p.mouth();
      double[] a = c512.normalised(m.x(), m.y());
      double[] b = c512.normalised(m.x() + m.width(), m.y() + m.height());
      int x0 = px(Math.min(a[0], b[0])), x1 = px(Math.max(a[0], b[0]));
      int y0 = px(Math.min(a[1], b[1])), y1 = px(Math.max(a[1], b[1])) + 20;
      double inMouth = meanAbs(open, rest, y0, y1, x0, x1);
      double inEyes = meanAbs(open, rest, px(-0.05) - 20, px(0.12), 128, 384);
      assertTrue(
          inMouth > 4 * inEyes && inMouth > 0.003,
          p.name() + ": jaw open changed the mouth by " + inMouth + ", the eyes by " + inEyes);
      // A yaw moves the face sideways: the best horizontal shift of the face band.
      int shift = bestShift(yaw, rest, px(-0.1), px(0.5), px(-0.3), px(0.3));
      assertTrue(shift >= 4, p.name() + ": a 14° yaw moved the face " + shift + " px");
    }
  }

  static int px(double u) {
    return (int) Math.round((u + 1) * 256);
  }

  static double meanAbs(float[] a, float[] b, int y0, int y1, int x0, int x1) {
    double sum = 0;
    int n = 0;
    for (int c = 0; c < 3; c++) {
      for (int y = Math.max(0, y0); y < Math.min(512, y1); y++) {
        for (int x = Math.max(0, x0); x < Math.min(512, x1); x++) {
          int i = c * 512 * 512 + y * 512 + x;
          sum += Math.abs(a[i] - b[i]);
          n++;
        }
      }
    }
    return sum / n;
  }

  /** The shift s (pixels) minimising |moved(x) − rest(x − s)| over the band. */
  static int bestShift(float[] moved, float[] rest, int y0, int y1, int x0, int x1) {
    int best = 0;
    double bestErr = Double.MAX_VALUE;
    for (int s = -30; s <= 30; s++) {
      double err = 0;
      for (int y = y0; y < y1; y++) {
        for (int x = x0; x < x1; x++) {
          err += Math.abs(moved[y * 512 + x] - rest[y * 512 + x - s]);
        }
      }
      if (err < bestErr) {
        bestErr = err;
        best = s;
      }
    }
    return best;
  }

  static float[] copy(FloatBuffer b) {
    float[] v = new float[b.remaining()];
    b.get(v);
    return v;
  }

  static void save(Path file, float[] chw) {
    int n = (int) Math.sqrt(chw.length / 3);
    Mat m = new Mat(n, n, org.bytedeco.opencv.global.opencv_core.CV_8UC3);
    var idx = m.<org.bytedeco.javacpp.indexer.UByteIndexer>createIndexer();
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        for (int c = 0; c < 3; c++) {
          idx.put(y, x, 2 - c, (int) Math.max(0, Math.min(255, chw[c * n * n + y * n + x] * 255)));
        }
      }
    }
    idx.close();
    opencv_imgcodecs.imwrite(file.toString(), m);
  }
}
