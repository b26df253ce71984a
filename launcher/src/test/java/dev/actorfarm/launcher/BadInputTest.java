package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refused input: one line, a non-zero exit, no stack trace, nothing left behind. */
class BadInputTest {

  static final Path ASTRONAUT = Path.of("../examples/astronaut.png");
  static final Path NARRATION = Path.of("../examples/narration.ogg");

  @TempDir Path dir;

  @AfterEach
  void resetLimits() {
    System.clearProperty("actorfarm.limits.max-audio-seconds");
    System.clearProperty("actorfarm.limits.max-image-side");
    ConfigFactory.invalidateCaches();
  }

  private String refused(Path portrait, Path audio, String... extra) {
    String[] args = {"--portrait", portrait.toString(), "--audio", audio.toString()};
    return CliRefusal.refused(
        dir,
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(args), java.util.Arrays.stream(extra))
            .toArray(String[]::new));
  }

  private Path file(String name, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  @Test
  void missingFiles() throws Exception {
    assertThat(refused(dir.resolve("nope.png"), NARRATION))
        .contains("portrait")
        .contains("does not exist");
    assertThat(refused(ASTRONAUT, dir.resolve("nope.wav")))
        .contains("audio")
        .contains("does not exist");
    assertThat(refused(dir, NARRATION)).contains("is not a readable file");
  }

  @Test
  void aPortraitThatIsNotAnImage() throws Exception {
    assertThat(refused(file("face.png", "hello".getBytes()), NARRATION))
        .contains("is not an image");
  }

  /** A PNG whose header declares {@code w × h} pixels, with one tiny IDAT chunk. */
  static byte[] pngDeclaring(int w, int h) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + 8 + 12).order(ByteOrder.BIG_ENDIAN);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(b, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put(new byte[] {8, 2, 0, 0, 0}));
    chunk(b, "IDAT", ByteBuffer.allocate(8).put(new byte[] {0x78, 0x01, 3, 0, 0, 0, 0, 1}));
    chunk(b, "IEND", ByteBuffer.allocate(0));
    return java.util.Arrays.copyOf(b.array(), b.position());
  }

  private static void chunk(ByteBuffer out, String type, ByteBuffer data) {
    byte[] d = java.util.Arrays.copyOf(data.array(), data.position());
    out.putInt(d.length);
    byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    out.put(t).put(d);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(t);
    crc.update(d);
    out.putInt((int) crc.getValue());
  }

  /** hopper.jpg with its frame header (SOF0) patched to declare {@code w × h} pixels. */
  static byte[] jpegDeclaring(int w, int h) throws Exception {
    byte[] j = Files.readAllBytes(Path.of("../examples/portraits/hopper.jpg"));
    for (int i = 2; i + 9 < j.length; ) {
      int marker = j[i + 1] & 255;
      int length = (j[i + 2] & 255) << 8 | (j[i + 3] & 255);
      if (marker >= 0xC0 && marker <= 0xC2) {
        j[i + 5] = (byte) (h >> 8);
        j[i + 6] = (byte) h;
        j[i + 7] = (byte) (w >> 8);
        j[i + 8] = (byte) w;
        return j;
      }
      i += 2 + length;
    }
    throw new IllegalStateException("no SOF marker in hopper.jpg");
  }

  @Test
  void decompressionBombsAreRefusedFromTheirHeaders() throws Exception {
    // 60000 × 60000 px declared in a 70-byte PNG and in a JPEG of hopper's size: refused with the
    // declared size, before any pixel is decoded (no OutOfMemoryError, no OpenCV exception).
    assertThat(refused(file("bomb.png", pngDeclaring(60000, 60000)), NARRATION))
        .contains("declares 60000x60000 px")
        .contains("max-image-side");
    assertThat(refused(file("bomb.jpg", jpegDeclaring(60000, 60000)), NARRATION))
        .contains("declares 60000x60000 px");
    // Within the side limit but over the pixels any portrait is decoded with
    System.setProperty("actorfarm.limits.max-image-side", "65000");
    ConfigFactory.invalidateCaches();
    assertThat(refused(file("wide.png", pngDeclaring(64000, 60000)), NARRATION))
        .contains("declares 64000x60000 px, more than the 64 Mpx");
  }

  @Test
  void truncatedPortraitsAreRefusedBeforeTheDecoderSeesThem() throws Exception {
    byte[] jpeg = Files.readAllBytes(Path.of("../examples/portraits/hopper.jpg"));
    byte[] png = Files.readAllBytes(ASTRONAUT);
    // cut late, where a decoder would still give most of the face
    assertThat(
            refused(file("cut.jpg", java.util.Arrays.copyOf(jpeg, jpeg.length - 900)), NARRATION))
        .contains("is truncated: its JPEG data ends early");
    assertThat(refused(file("cut.png", java.util.Arrays.copyOf(png, png.length - 900)), NARRATION))
        .contains("is truncated: its PNG data ends early");
    assertThat(refused(file("head.png", java.util.Arrays.copyOf(png, 40)), NARRATION))
        .contains("portrait");
  }

  @Test
  void audioThatIsNotAudioOrIsCorrupt() throws Exception {
    assertThat(refused(ASTRONAUT, ASTRONAUT)).contains("is not audio or is corrupt");
    byte[] noise = new byte[8192];
    new Random(3).nextBytes(noise);
    assertThat(refused(ASTRONAUT, file("speech.mp3", noise)))
        .contains("is not audio or is corrupt");
    byte[] truncated = java.util.Arrays.copyOf(Files.readAllBytes(NARRATION), 60);
    assertThat(refused(ASTRONAUT, file("cut.ogg", truncated))).contains("audio");
  }

  @Test
  void audioWithNoSamples() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36).put("WAVE".getBytes());
    b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1);
    b.putInt(16000).putInt(32000).putShort((short) 2).putShort((short) 16);
    b.put("data".getBytes()).putInt(0);
    assertThat(refused(ASTRONAUT, file("empty.wav", b.array()))).contains("has no samples");
  }

  /** A PCM WAV header (16-bit) declaring {@code rate}, {@code channels} and {@code dataBytes}. */
  static byte[] wav(int rate, int channels, long dataBytes, int actualBytes) {
    ByteBuffer b = ByteBuffer.allocate(44 + actualBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt((int) (36 + dataBytes)).put("WAVE".getBytes());
    b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels);
    b.putInt(rate)
        .putInt(rate * channels * 2)
        .putShort((short) (channels * 2))
        .putShort((short) 16);
    b.put("data".getBytes()).putInt((int) dataBytes);
    return b.array();
  }

  @Test
  void forgedAudioHeaders() throws Exception {
    assertThat(refused(ASTRONAUT, file("zero.wav", wav(0, 1, 32000, 32000))))
        .contains("is not audio or is corrupt")
        .doesNotContain("setFormat")
        .doesNotContain("FFmpegLogCallback");
    assertThat(refused(ASTRONAUT, file("many.wav", wav(16000, 255, 32640, 32640))))
        .contains("declares 255 channels; at most 8 are taken");
    assertThat(refused(ASTRONAUT, file("slow.wav", wav(4000, 1, 8000, 8000))))
        .contains("declares 4000 Hz");
    // 37 hours of 16 kHz audio claimed by a 32 kB file: the length is what the file holds (FFmpeg
    // bounds the data chunk by the file), so it is neither refused as too long nor planned so.
    double seconds =
        InputValidator.probeAudio(
            file("hours.wav", wav(16000, 1, 0xFFFF_0000L, 32000)),
            new dev.actorfarm.runtime.FarmSettings.Limits(600, 64, 8192));
    assertThat(seconds).isCloseTo(1.0, org.assertj.core.api.Assertions.within(0.05));
  }

  @Test
  void audioLongerThanTheLimit() throws Exception {
    System.setProperty("actorfarm.limits.max-audio-seconds", "5");
    ConfigFactory.invalidateCaches();
    assertThat(refused(ASTRONAUT, NARRATION)).contains("the limit is 5 s");
  }

  @Test
  void imagesTooSmallOrTooLarge() throws Exception {
    Path tiny = dir.resolve("tiny.png");
    opencv_imgcodecs.imwrite(
        tiny.toString(), new Mat(40, 50, opencv_core.CV_8UC3, new Scalar(128, 128, 128, 0)));
    assertThat(refused(tiny, NARRATION)).contains("50x40 px").contains("at least 64 px");
    System.setProperty("actorfarm.limits.max-image-side", "300");
    ConfigFactory.invalidateCaches();
    assertThat(refused(ASTRONAUT, NARRATION)).contains("512x512 px").contains("at most 300 px");
  }

  @Test
  void noFaceSuggestsFaceBox() throws Exception {
    Path cat = Path.of(BadInputTest.class.getResource("/chelsea.png").toURI());
    assertThat(refused(cat, NARRATION)).contains("no face found").contains("--face-box");
    assertThat(refused(cat, NARRATION, "--face-box", "400,200,100,200")).contains("lies outside");
    assertThat(refused(cat, NARRATION, "--face-box", "1,2,3")).contains("x,y,w,h");
  }
}
