package dev.actorfarm.render;

import dev.actorfarm.protocol.FaceBox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.RectVector;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_objdetect.CascadeClassifier;

/**
 * Finds the face in a portrait with OpenCV's frontal-face Haar cascade (shipped inside the OpenCV
 * jar). Deterministic: the same image always gives the same box, so every render node computes the
 * same crop.
 */
public final class FaceLocator {

  private static final String CASCADE = "haarcascade_frontalface_alt.xml";
  private static CascadeClassifier classifier;

  private FaceLocator() {}

  /** The largest frontal face in a BGR image, if any. */
  public static synchronized Optional<FaceBox> detect(Mat bgr) throws IOException {
    CascadeClassifier cc = classifier();
    Mat gray = new Mat();
    opencv_imgproc.cvtColor(bgr, gray, opencv_imgproc.COLOR_BGR2GRAY);
    opencv_imgproc.equalizeHist(gray, gray);
    int minSide = Math.min(bgr.cols(), bgr.rows());
    // Faces under a tenth of the image side are too small to animate; 24 px is the cascade's own.
    int min = Math.max(24, minSide / 10);
    RectVector faces = new RectVector();
    cc.detectMultiScale(gray, faces, 1.1, 4, 0, new Size(min, min), new Size(minSide, minSide));
    Rect best = null;
    for (long i = 0; i < faces.size(); i++) {
      Rect r = faces.get(i);
      if (best == null || r.area() > best.area()) {
        best = r;
      }
    }
    if (best == null) {
      return Optional.empty();
    }
    return Optional.of(
        FaceBox.newBuilder()
            .setX(best.x())
            .setY(best.y())
            .setWidth(best.width())
            .setHeight(best.height())
            .build());
  }

  private static CascadeClassifier classifier() throws IOException {
    if (classifier == null) {
      String resource =
          "/org/bytedeco/opencv/" + Loader.getPlatform() + "/share/opencv4/haarcascades/" + CASCADE;
      Path file = Files.createTempFile("actorfarm-", "-" + CASCADE);
      file.toFile().deleteOnExit();
      try (InputStream in = FaceLocator.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("the OpenCV jar lacks " + resource);
        }
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      CascadeClassifier cc = new CascadeClassifier(file.toString());
      if (cc.empty()) {
        throw new IOException("cannot load the face cascade " + resource);
      }
      classifier = cc;
    }
    return classifier;
  }
}
