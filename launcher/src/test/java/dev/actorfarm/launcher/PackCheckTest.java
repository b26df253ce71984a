package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.pack.LivePortraitTwin;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code farm pack check}: a sound twin pack passes; each broken manifest gets one clear line. */
class PackCheckTest {

  @TempDir static Path dir;
  static Path twin;

  @BeforeAll
  static void generate() throws Exception {
    twin = dir.resolve("twin");
    LivePortraitTwin.generate(twin);
  }

  static FarmCli.Run check(Path pack) {
    return FarmCli.run(
        "pack",
        "check",
        pack.toString(),
        "--data-dir",
        dir.resolve("data").toString(),
        "--portrait",
        "../examples/astronaut.png");
  }

  /** A copy of the twin with its manifest edited. */
  static Path broken(String name, String from, String to) throws Exception {
    Path copy = dir.resolve(name);
    Files.createDirectories(copy);
    try (var files = Files.list(twin)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    Path manifest = copy.resolve("model-pack.json");
    String json = Files.readString(manifest);
    assertThat(json).contains(from);
    Files.writeString(manifest, json.replaceFirst(java.util.regex.Pattern.quote(from), to));
    return copy;
  }

  @Test
  void theTwinIsSound() {
    FarmCli.Run r = check(twin);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("warping_spade.onnx matches its declaration (opset 20)");
    assertThat(r.out()).contains("ms per frame").contains("is sound");
  }

  @Test
  void aWrongTensorName() throws Exception {
    FarmCli.Run r =
        check(
            broken(
                "name",
                "\"name\": \"kp_driving\"",
                "\"name\": \"kp_drive\", \"role\": \"kp_driving\""));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "farm pack check: warping_spade: no input named 'kp_drive' (the file has"
                + " [feature_3d, kp_driving, kp_source])");
  }

  @Test
  void aWrongDtype() throws Exception {
    FarmCli.Run r =
        check(
            broken(
                "dtype",
                "\"name\": \"input\", \"dtype\": \"float32\", \"shape\": [1, 126]",
                "\"name\": \"input\", \"dtype\": \"float16\", \"shape\": [1, 126]"));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "farm pack check: stitching: input 'input' is float32 in the file, declared float16");
  }

  @Test
  void aMissingFile() throws Exception {
    Path p = broken("missing", "\"cropSize\"", "\"cropSize\"");
    Files.delete(p.resolve("landmark.onnx"));
    FarmCli.Run r = check(p);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().count()).isEqualTo(1);
    assertThat(r.err()).contains("lacks landmark.onnx named in its manifest");
  }

  @Test
  void anUnknownKey() throws Exception {
    FarmCli.Run r = check(broken("key", "\"cropScale\"", "\"cropScael\""));
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().count()).isEqualTo(1);
    assertThat(r.err()).contains("unknown key 'cropScael' at liveportrait");
  }

  @Test
  void aDiffusionTwinRunsItsSamplerAndAWindowThatDoesNotFitIsOneLine() throws Exception {
    Path pack = dir.resolve("diffusion");
    dev.actorfarm.pack.DiffusionTwin.generatePack(pack);
    FarmCli.Run r = check(pack);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("motion_denoiser.onnx matches its declaration")
        .contains("ddim (25 steps, eps prediction, linear schedule, guidance 2.0)")
        .contains("Generated one window of motion")
        .contains("(34 denoiser calls)")
        .contains("is sound");
    Path manifest = pack.resolve("model-pack.json");
    String json = Files.readString(manifest);
    assertThat(json).contains("\"windowFrames\" : 100");
    Files.writeString(manifest, json.replace("\"windowFrames\" : 100", "\"windowFrames\" : 90"));
    r = check(pack);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().count()).isEqualTo(1);
    assertThat(r.err()).contains("has 125 frames, but contextFrames + windowFrames is 115");
    // A control whose default is outside its range: one line
    Files.writeString(
        manifest,
        json.replaceFirst(
            "\"controls\" : \\[ \\]",
            "\"controls\" : [ {\"name\": \"style\", \"min\": 0, \"max\": 1, \"default\": 2} ]"));
    r = check(pack);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("'style' has default 2.0 outside its range 0.0..1.0");
  }
}
