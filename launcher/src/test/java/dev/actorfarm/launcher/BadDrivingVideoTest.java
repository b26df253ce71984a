package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refused driving video: one line, exit code 2, no stack trace, nothing started or left
 * behind. (A video without any face is refused by the farm itself, which fails the job with one
 * line: DrivingVideoTest.)
 */
class BadDrivingVideoTest {

  static final Path ASTRONAUT = Path.of("../examples/astronaut.png");
  static final Path NARRATION = Path.of("../examples/narration.ogg");

  @TempDir Path dir;

  @AfterEach
  void resetLimits() {
    System.clearProperty("actorfarm.limits.max-video-side");
    System.clearProperty("actorfarm.limits.max-video-seconds");
    System.clearProperty("actorfarm.video.landmark-model");
    ConfigFactory.invalidateCaches();
  }

  private String refused(String... args) {
    String[] portrait = {"--portrait", ASTRONAUT.toString()};
    return CliRefusal.refused(
        dir,
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(portrait), java.util.Arrays.stream(args))
            .toArray(String[]::new));
  }

  private Path file(String name, byte[] content) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, content);
    return p;
  }

  private static Path drivingVideo() throws Exception {
    return ReferenceRender.output();
  }

  /** A YUV4MPEG2 stream: a header FFmpeg believes, and one grey frame of the size it declares. */
  private Path y4m(String name, int w, int h, String rate, boolean withFrame) throws Exception {
    String header = "YUV4MPEG2 W" + w + " H" + h + " F" + rate + " Ip A1:1 C420jpeg\n";
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    byte[] frame = withFrame ? new byte[6 + w * h * 3 / 2] : new byte[0];
    if (withFrame) {
      System.arraycopy("FRAME\n".getBytes(StandardCharsets.US_ASCII), 0, frame, 0, 6);
      java.util.Arrays.fill(frame, 6, frame.length, (byte) 128);
    }
    byte[] all = java.util.Arrays.copyOf(head, head.length + frame.length);
    System.arraycopy(frame, 0, all, head.length, frame.length);
    return file(name, all);
  }

  @Test
  void neitherANarrationNorADrivingVideo() throws Exception {
    assertThat(refused()).contains("--audio").contains("--driving");
  }

  @Test
  void theLandmarkModelIsNotInstalled() throws Exception {
    System.setProperty("actorfarm.video.landmark-model", dir.resolve("nowhere.dat").toString());
    ConfigFactory.invalidateCaches();
    assertThat(refused("--driving", drivingVideo().toString()))
        .contains("face landmark model, which is missing")
        .contains("apt-get install libdlib-data");
  }

  @Test
  void aFileWithNoVideoStream() throws Exception {
    assertThat(refused("--driving", NARRATION.toString())).contains("has no video stream");
  }

  @Test
  void aCorruptFile() throws Exception {
    byte[] noise = new byte[64 << 10];
    new Random(5).nextBytes(noise);
    assertThat(refused("--driving", file("take.mp4", noise).toString()))
        .contains("is not a video FFmpeg can read, or it is corrupt");
  }

  @Test
  void aTruncatedFile() throws Exception {
    byte[] whole = Files.readAllBytes(drivingVideo());
    Path cut = file("cut.mp4", java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThat(refused("--driving", cut.toString())).contains("truncated");
  }

  @Test
  void aResolutionOrALengthOverTheLimits() throws Exception {
    System.setProperty("actorfarm.limits.max-video-side", "256");
    ConfigFactory.invalidateCaches();
    assertThat(refused("--driving", drivingVideo().toString()))
        .contains("512x512 px")
        .contains("at most 256 px");
    System.clearProperty("actorfarm.limits.max-video-side");
    System.setProperty("actorfarm.limits.max-video-seconds", "5");
    ConfigFactory.invalidateCaches();
    assertThat(refused("--driving", drivingVideo().toString())).contains("the limit is 5 s");
  }

  @Test
  void aFileThatDeclaresAbsurdDimensionsOrFrameRates() throws Exception {
    assertThat(refused("--driving", y4m("huge.y4m", 100_000, 100_000, "25:1", false).toString()))
        .containsAnyOf("at most 4096 px", "is not a video FFmpeg can read");
    assertThat(refused("--driving", y4m("fast.y4m", 64, 64, "1000000:1", true).toString()))
        .contains("implausible frame rate");
  }

  @Test
  void anOutputFrameRateOverTheLimit() throws Exception {
    assertThat(refused("--driving", drivingVideo().toString(), "--fps", "500"))
        .contains("--fps 500 is over the limit of 120");
    assertThat(refused("--audio", NARRATION.toString(), "--fps", "0")).contains("positive");
  }

  @Test
  void aReplacementSoundTrackThatIsNotAudio() throws Exception {
    assertThat(refused("--driving", drivingVideo().toString(), "--audio", ASTRONAUT.toString()))
        .contains("is not audio or is corrupt");
  }
}
