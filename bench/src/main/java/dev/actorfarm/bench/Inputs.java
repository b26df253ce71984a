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
    byte[] pcm = pcm16(narration);
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
    writeWav(looped, total / 2, out);
    return out;
  }

  /**
   * A 16 kHz mono WAV: {@code lead} seconds of silence, then the narration cut to at most {@code
   * seconds}. A job that starts in silence shows its rest pose first (the fidelity harness).
   */
  static Path silenceThenNarration(Path narration, double lead, double seconds, Path dir)
      throws IOException {
    Path out =
        dir.resolve(
            String.format(
                java.util.Locale.ROOT, "silence-%.1fs-narration-%.1fs.wav", lead, seconds));
    if (Files.isRegularFile(out)) {
      return out;
    }
    Files.createDirectories(dir);
    byte[] speech = pcm16(narration);
    int leadBytes = (int) Math.round(lead * RATE) * 2;
    int speechBytes = (int) Math.min(speech.length, Math.round(seconds * RATE) * 2);
    byte[] all = new byte[leadBytes + speechBytes];
    System.arraycopy(speech, 0, all, leadBytes, speechBytes);
    writeWav(new java.io.ByteArrayInputStream(all), all.length / 2, out);
    return out;
  }

  /** {@code samples} of 16 kHz mono 16-bit PCM as a WAV at {@code out}, renamed into place. */
  private static void writeWav(InputStream pcm, long samples, Path out) throws IOException {
    AudioFormat format = new AudioFormat(RATE, 16, 1, true, false);
    Path tmp = Files.createTempFile(out.getParent(), ".narration-", ".wav");
    try (AudioInputStream in = new AudioInputStream(pcm, format, samples)) {
      AudioSystem.write(in, AudioFileFormat.Type.WAVE, tmp.toFile());
    }
    Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Up to 300 s of {@code audio} as 16 kHz mono 16-bit little-endian PCM. */
  private static byte[] pcm16(Path audio) throws IOException {
    ByteBuffer pcm = ByteBuffer.allocate((int) (300L * RATE * 2)).order(ByteOrder.LITTLE_ENDIAN);
    AudioDecoder.decode(
        audio,
        RATE,
        samples -> {
          while (samples.hasRemaining() && pcm.hasRemaining()) {
            float s = Math.max(-1f, Math.min(1f, samples.get()));
            pcm.putShort((short) Math.round(s * 32767));
          }
          samples.position(samples.limit());
        });
    return java.util.Arrays.copyOf(pcm.array(), pcm.position());
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
