package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.runtime.FarmSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code farm render} found checking its inputs is taken again only for the same bytes, face
 * box and limits; anything else is checked afresh.
 */
class CheckedInputsTest {

  @TempDir Path dir;

  private static final FarmSettings.Limits LIMITS = new FarmSettings.Limits(3600, 64, 8192);

  @Test
  void aRecordIsTakenOnlyForTheSameInputsBoxAndLimits() throws Exception {
    Path portrait = Files.write(dir.resolve("p.png"), new byte[] {1, 2, 3});
    Path audio = Files.write(dir.resolve("a.wav"), new byte[] {4, 5, 6});
    Path data = dir.resolve("data");
    FaceBox found = FaceBox.newBuilder().setX(10).setY(20).setWidth(30).setHeight(40).build();
    var checked = new InputValidator.Validated(found, false, 61.5, 512, 384);
    assertThat(CheckedInputs.of(data, portrait, audio, null, LIMITS).lookup()).isEmpty();
    CheckedInputs.of(data, portrait, audio, null, LIMITS).store(checked);
    // the same command again
    assertThat(CheckedInputs.of(data, portrait, audio, null, LIMITS).lookup()).contains(checked);
    // a face box given, other limits, another data directory: checked afresh
    assertThat(CheckedInputs.of(data, portrait, audio, found, LIMITS).lookup()).isEmpty();
    assertThat(
            CheckedInputs.of(data, portrait, audio, null, new FarmSettings.Limits(60, 64, 8192))
                .lookup())
        .isEmpty();
    assertThat(CheckedInputs.of(dir.resolve("other"), portrait, audio, null, LIMITS).lookup())
        .isEmpty();
    // other bytes under the same name: checked afresh
    Files.write(audio, new byte[] {4, 5, 7});
    assertThat(CheckedInputs.of(data, portrait, audio, null, LIMITS).lookup()).isEmpty();
    // a record that cannot be read is no record
    Files.write(audio, new byte[] {4, 5, 6});
    try (var records = Files.list(data.resolve("checked-inputs"))) {
      for (Path r : records.toList()) {
        Files.writeString(r, "face.x=ten\n");
      }
    }
    assertThat(CheckedInputs.of(data, portrait, audio, null, LIMITS).lookup()).isEmpty();
  }
}
