package dev.actorfarm.bench;

import dev.actorfarm.audio.AudioDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/** The benchmark's inputs, made from the bundled example: narrations of any length, portraits. */
final class Inputs {

  static final int RATE = 16_000;

  private Inputs() {}

  /**
   * A 16 kHz mono WAV of {@code seconds}: the narration looped (synthesised speech with pauses,
   * repeated), streamed to disk so that an hour costs no memory.
   */
  static Path loopedNarration(Path narration, double seconds, Path dir) throws IOException {
    Path out = dir.resolve(String.format(java.util.Locale.ROOT, "narration-%.0fs.wav", seconds));
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(dir);
    // One loop of the narration as 16-bit PCM (21 s: 0.7 MB).
    ByteBuffer loop = ByteBuffer.allocate((int) (300L * RATE * 2)).order(ByteOrder.LITTLE_ENDIAN);
    AudioDecoder.decode(
        narration,
        RATE,
        samples -> {
          while (samples.hasRemaining() && loop.hasRemaining()) {
            float s = Math.max(-1f, Math.min(1f, samples.get()));
            loop.putShort((short) Math.round(s * 32767));
          }
          samples.position(samples.limit());
        });
    byte[] pcm = java.util.Arrays.copyOf(loop.array(), loop.position());
    long total = Math.round(seconds * RATE) * 2;
    InputStream looped =
        new InputStream() {
          long pos;

          @Override
          public int read() {
            if (pos >= total) {
              return -1;
            }
            return pcm[(int) (pos++ % pcm.length)] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (pos >= total) {
              return -1;
            }
            int n = (int) Math.min(len, total - pos);
            for (int i = 0; i < n; i++) {
              b[off + i] = pcm[(int) (pos++ % pcm.length)];
            }
            return n;
          }
        };
    AudioFormat format = new AudioFormat(RATE, 16, 1, true, false);
    Path tmp = Files.createTempFile(dir, ".narration-", ".wav");
    try (AudioInputStream in = new AudioInputStream(looped, format, total / 2)) {
      AudioSystem.write(in, AudioFileFormat.Type.WAVE, tmp.toFile());
    }
    Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return out;
  }

  /** The portrait scaled to {@code side} pixels square (the example is 512×512). */
  static Path portrait(Path portrait, int side, Path dir) throws IOException {
    Path out = dir.resolve("portrait-" + side + ".png");
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(dir);
    Mat src = opencv_imgcodecs.imread(portrait.toString());
    if (src.empty()) {
      throw new IOException("cannot read " + portrait);
    }
    Mat dst = new Mat();
    opencv_imgproc.resize(src, dst, new Size(side, side), 0, 0, opencv_imgproc.INTER_AREA);
    opencv_imgcodecs.imwrite(out.toString(), dst);
    return out;
  }
}
