package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.runtime.NativeLibraries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code farm} executable loads OpenCV's plain build without probing for the CUDA libraries of
 * its {@code -gpu} variant (0.6 s of every start), and still loads it: a {@code farm render} whose
 * portrait is checked (OpenCV decodes it) and whose narration is refused, with JavaCPP's loader
 * logging each library it looks for.
 */
class NativeLibrariesTest {

  private static final String DEBUG = "org.bytedeco.javacpp.logger.debug=true";

  @TempDir Path dir;

  @Test
  void theFarmLoadsOpenCvWithoutProbingForCuda() throws Exception {
    String log = refusedRender("named", List.of(DEBUG));
    assertThat(log).contains("libopencv_core.so").doesNotContain("cudart");
    assertThat(log).contains("is not audio or is corrupt");
  }

  /**
   * The control: an operator who names the {@code -gpu} builds (having added OpenCV's {@code -gpu}
   * jars) gets them looked for, and without them the plain build still loads.
   */
  @Test
  void anOperatorsExtensionWins() throws Exception {
    String log = refusedRender("gpu", List.of(DEBUG, NativeLibraries.EXTENSION_PROPERTY + "=-gpu"));
    assertThat(log).contains("libopencv_core.so").contains("Loading library cudart");
  }

  private String refusedRender(String name, List<String> properties) throws Exception {
    Path notAudio = dir.resolve(name + ".wav");
    Files.write(notAudio, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    try (FarmProcess farm =
        FarmProcess.start(
            name,
            dir.resolve(name + ".log"),
            properties,
            "render",
            "--portrait",
            Path.of("../examples/astronaut.png").toAbsolutePath().toString(),
            "--audio",
            notAudio.toString(),
            "--out",
            dir.resolve(name + ".mp4").toString(),
            "--data-dir",
            dir.resolve(name).toString())) {
      assertThat(farm.await(Duration.ofMinutes(2))).as(farm.tail()).isEqualTo(2);
      return farm.log();
    }
  }
}
