package dev.actorfarm.pack;

import static org.junit.jupiter.api.Assertions.*;

import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest.ModelFile;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file with float16 inputs and outputs (FasterLivePortrait's exports may be fp16): the farm reads
 * the session's own types, converts on the way in and out, and gets the float32 file's answer; a
 * manifest that declares the wrong dtype is refused with the difference.
 */
class Float16ModelTest {

  @TempDir Path dir;

  @Test
  void float16FilesAreConvertedAndAWrongDeclarationIsRefused() throws Exception {
    LivePortraitTwin.generate(dir.resolve("twin"));
    ModelFile f32 = ModelPack.parse(dir.resolve("twin")).models().get("stitching_lip");
    ModelFile f16 =
        new ModelFile(
            f32.file(), f32.opset(), f32.maxBatch(), half(f32.inputs()), half(f32.outputs()));
    Path file16 = dir.resolve("stitching_lip_fp16.onnx");
    LivePortraitTwin.write(file16, f16, "stitching_lip");

    float[] input = new float[65];
    for (int i = 0; i < input.length; i++) {
      input[i] = 0.01f * (i % 7) - 0.02f;
    }
    input[63] = 0.3f; // source lip ratio
    input[64] = 0.05f; // target
    Map<String, long[]> shape = Map.of("input", new long[] {1, 65});
    float[] want;
    try (OnnxModel m =
        OnnxModel.open(
            dir.resolve("twin").resolve(f32.file()),
            "lip32",
            f32.inputs(),
            f32.outputs(),
            "cpu",
            1)) {
      want = m.run(Map.of("input", input), shape).get("output");
    }
    float[] got;
    try (OnnxModel m = OnnxModel.open(file16, "lip16", f16.inputs(), f16.outputs(), "cpu", 1)) {
      got = m.run(Map.of("input", input), shape).get("output");
    }
    // kp19 y = LIP_GAIN × (target − source) = 0.5 × −0.25
    assertEquals(-0.125f, want[3 * 19 + 1], 1e-6f);
    assertArrayEquals(want, got, 1e-3f);

    IOException e =
        assertThrows(
            IOException.class,
            () -> OnnxModel.open(file16, "lip16", f32.inputs(), f32.outputs(), "cpu", 1));
    assertEquals("lip16: input 'input' is float16 in the file, declared float32", e.getMessage());
  }

  private static List<TensorSpec> half(List<TensorSpec> specs) {
    return specs.stream()
        .map(t -> new TensorSpec(t.name(), "float16", t.shape(), t.role()))
        .toList();
  }
}
