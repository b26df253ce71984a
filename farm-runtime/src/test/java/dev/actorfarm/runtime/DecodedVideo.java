package dev.actorfarm.runtime;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/** An MP4 decoded for assertions: streams, timestamps, frames as packed BGR, frame hashes. */
public record DecodedVideo(
    int streams,
    String videoCodec,
    String audioCodec,
    int width,
    int height,
    List<Long> timestamps,
    List<byte[]> frames,
    List<String> hashes,
    double audioSeconds) {

  public static DecodedVideo decode(Path file) throws Exception {
    return decode(file, true);
  }

  /** The frames' hashes only: a long video's frames would not fit in a test's heap. */
  public static List<String> frameHashes(Path file) throws Exception {
    return decode(file, false).hashes();
  }

  private static DecodedVideo decode(Path file, boolean keepFrames) throws Exception {
    List<Long> ts = new ArrayList<>();
    List<byte[]> frames = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    int streams;
    String v;
    String a;
    int w;
    int h;
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
      g.start();
      streams = g.getFormatContext().nb_streams();
      v = g.getVideoCodecName();
      a = g.getAudioCodecName();
      w = g.getImageWidth();
      h = g.getImageHeight();
      Frame f;
      while ((f = g.grabImage()) != null) {
        ts.add(f.timestamp);
        ByteBuffer buf = (ByteBuffer) f.image[0];
        byte[] packed = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
          buf.position(y * f.imageStride);
          buf.get(packed, y * w * 3, w * 3);
        }
        if (keepFrames) {
          frames.add(packed);
        }
        hashes.add(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(packed)));
      }
    }
    double audioSeconds = 0;
    try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toFile())) {
      g.start();
      long samples = 0;
      Frame f;
      while ((f = g.grabSamples()) != null) {
        samples += f.samples[0].remaining() / (f.samples.length > 1 ? 1 : f.audioChannels);
      }
      audioSeconds = samples / (double) g.getSampleRate();
    }
    return new DecodedVideo(streams, v, a, w, h, ts, frames, hashes, audioSeconds);
  }

  /** Mean absolute difference of two frames over a rectangle, in 8-bit levels. */
  public double diff(int a, int b, int x0, int y0, int rw, int rh) {
    byte[] p = frames.get(a);
    byte[] q = frames.get(b);
    long sum = 0;
    for (int y = y0; y < y0 + rh; y++) {
      for (int x = x0 * 3; x < (x0 + rw) * 3; x++) {
        int i = y * width * 3 + x;
        sum += Math.abs((p[i] & 255) - (q[i] & 255));
      }
    }
    return sum / (3.0 * rw * rh);
  }
}
