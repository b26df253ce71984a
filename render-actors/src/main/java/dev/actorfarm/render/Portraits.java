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

  /**
   * The most pixels any portrait is decoded with (64 Mpx, 192 MiB as BGR): a header that declares
   * more is refused before its pixels are decoded, whatever the configured side limit.
   */
  public static final long MAX_DECODED_PIXELS = 64L << 20;

  /** Reads an image as 8-bit BGR; a clear error if the file is not an image OpenCV reads. */
  public static Mat read(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IOException("cannot read portrait " + file);
    }
    int[] size = dimensions(file);
    if (size != null && (long) size[0] * size[1] > MAX_DECODED_PIXELS) {
      throw new TooLargeException(file, size[0], size[1]);
    }
    String truncated = truncated(file);
    if (truncated != null) {
      throw new BadImageException(
          "portrait "
              + file.getFileName()
              + " is truncated: its "
              + truncated
              + " data ends early");
    }
    Mat m;
    try {
      m = opencv_imgcodecs.imread(file.toString(), opencv_imgcodecs.IMREAD_COLOR);
    } catch (RuntimeException e) {
      // OpenCV's own checks (its pixel limit, a corrupt stream) throw rather than return empty.
      throw new IOException("portrait " + file.getFileName() + " cannot be decoded", e);
    }
    if (m == null || m.empty()) {
      throw new IOException("portrait " + file.getFileName() + " is not an image (PNG, JPEG, ...)");
    }
    return m;
  }

  /** A portrait the farm refuses with a reason of its own (the message says it in one line). */
  public static class BadImageException extends IOException {
    private static final long serialVersionUID = 1L;

    BadImageException(String message) {
      super(message);
    }
  }

  /** A portrait whose header declares more pixels than the farm decodes. */
  public static final class TooLargeException extends BadImageException {
    private static final long serialVersionUID = 1L;

    TooLargeException(Path file, int width, int height) {
      super(
          "portrait "
              + file.getFileName()
              + " declares "
              + width
              + "x"
              + height
              + " px, more than the "
              + (MAX_DECODED_PIXELS >> 20)
              + " Mpx a portrait may have");
    }
  }

  /**
   * The image's width and height as its header declares them, read without decoding the pixels
   * (ImageIO's readers for PNG, JPEG, BMP, GIF and TIFF; WebP's RIFF header by hand); null when the
   * format is none of those or the header is unreadable (the decoder then decides).
   */
  public static int[] dimensions(Path file) throws IOException {
    try (javax.imageio.stream.ImageInputStream in =
        javax.imageio.ImageIO.createImageInputStream(file.toFile())) {
      if (in != null) {
        var readers = javax.imageio.ImageIO.getImageReaders(in);
        if (readers.hasNext()) {
          javax.imageio.ImageReader r = readers.next();
          try {
            r.setInput(in, true, true);
            return new int[] {r.getWidth(0), r.getHeight(0)};
          } catch (IOException | RuntimeException e) {
            return null;
          } finally {
            r.dispose();
          }
        }
      }
    }
    return webpDimensions(file);
  }

  /**
   * "PNG" or "JPEG" when the file is one of those and its end is missing (no IEND chunk, no EOI
   * marker in its last bytes), else null. The decoders would print their own complaint and either
   * fail or give a partly grey portrait; a cut upload is refused here instead.
   */
  static String truncated(Path file) throws IOException {
    long size = Files.size(file);
    byte[] head = new byte[8];
    byte[] tail = new byte[(int) Math.min(size, 64)];
    try (var ch = java.nio.channels.FileChannel.open(file)) {
      ch.read(java.nio.ByteBuffer.wrap(head), 0);
      ch.read(java.nio.ByteBuffer.wrap(tail), size - tail.length);
    }
    if ((head[0] & 255) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
      String end = new String(tail, 0, tail.length, java.nio.charset.StandardCharsets.ISO_8859_1);
      return end.contains("IEND") ? null : "PNG";
    }
    if ((head[0] & 255) == 0xFF && (head[1] & 255) == 0xD8) {
      for (int i = tail.length - 2; i >= 0; i--) {
        if ((tail[i] & 255) == 0xFF && (tail[i + 1] & 255) == 0xD9) {
          return null;
        }
      }
      return "JPEG";
    }
    return null;
  }

  /** WebP's canvas size from its RIFF header (VP8, VP8L or VP8X chunk), or null. */
  static int[] webpDimensions(Path file) throws IOException {
    byte[] h = new byte[30];
    int n;
    try (var in = Files.newInputStream(file)) {
      n = in.readNBytes(h, 0, h.length);
    }
    if (n < 30
        || !new String(h, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("RIFF")
        || !new String(h, 8, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("WEBP")) {
      return null;
    }
    String chunk = new String(h, 12, 4, java.nio.charset.StandardCharsets.US_ASCII);
    switch (chunk) {
      case "VP8X":
        return new int[] {1 + u24(h, 24), 1 + u24(h, 27)};
      case "VP8L":
        {
          int b = (h[21] & 255) | (h[22] & 255) << 8 | (h[23] & 255) << 16 | (h[24] & 255) << 24;
          return new int[] {1 + (b & 0x3FFF), 1 + ((b >>> 14) & 0x3FFF)};
        }
      case "VP8 ":
        return new int[] {
          ((h[26] & 255) | (h[27] & 255) << 8) & 0x3FFF,
          ((h[28] & 255) | (h[29] & 255) << 8) & 0x3FFF
        };
      default:
        return null;
    }
  }

  private static int u24(byte[] b, int at) {
    return (b[at] & 255) | (b[at + 1] & 255) << 8 | (b[at + 2] & 255) << 16;
  }
}
