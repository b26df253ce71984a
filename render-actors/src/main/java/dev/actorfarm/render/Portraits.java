package dev.actorfarm.render;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/** Reading portraits. */
public final class Portraits {

  private Portraits() {}

  /**
   * The portrait as the farm renders it: cropped to even dimensions (H.264's 4:2:0 frames), a copy.
   */
  public static Mat evenCrop(Mat bgr) {
    return new Mat(
            bgr, new org.bytedeco.opencv.opencv_core.Rect(0, 0, bgr.cols() & ~1, bgr.rows() & ~1))
        .clone();
  }

  /** Reads an image as 8-bit BGR; a clear error if the file is not an image OpenCV reads. */
  public static Mat read(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IOException("cannot read portrait " + file);
    }
    Mat m = opencv_imgcodecs.imread(file.toString(), opencv_imgcodecs.IMREAD_COLOR);
    if (m == null || m.empty()) {
      throw new IOException("portrait " + file.getFileName() + " is not an image (PNG, JPEG, ...)");
    }
    return m;
  }
}
