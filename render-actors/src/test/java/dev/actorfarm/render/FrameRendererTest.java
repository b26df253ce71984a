package dev.actorfarm.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.actorfarm.pack.BatchedRendererTwin;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renderer whose inputs all have a dynamic batch and whose graph needs the batches equal: the
 * farm tiles the source's batch-1 appearance to the motion's batch, once per batch size.
 */
class FrameRendererTest {

  static final int M = dev.actorfarm.pack.ReferenceParameters.M;

  @TempDir Path dir;

  @Test
  void batchOneAppearanceIsTiledForADynamicBatchRenderer() throws Exception {
    Path ref = ReferencePack.ensure(dir.resolve("reference")).dir();
    Path packDir = dir.resolve("batched");
    Files.createDirectories(packDir);
    try (var files = Files.list(ref)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, packDir.resolve(f.getFileName()));
      }
    }
    BatchedRendererTwin.write(packDir.resolve("batched_renderer.onnx"), 256, M);
    ObjectMapper json = new ObjectMapper();
    Path manifest = packDir.resolve(ModelPack.MANIFEST);
    ObjectNode root = (ObjectNode) json.readTree(manifest.toFile());
    root.set(
        "renderer",
        json.readTree(
            """
            {"file": "batched_renderer.onnx", "maxBatch": 8, "height": 256, "width": 256,
             "inputs": {
               "appearance": {"name": "appearance", "dtype": "float32", "shape": [-1, 3, 256, 256]},
               "motion": {"name": "motion", "dtype": "float32", "shape": [-1, MDIM]}},
             "outputs": {
               "frames": {"name": "frames", "dtype": "float32", "shape": [-1, 3, 256, 256]}}}
            """
                .replace("MDIM", String.valueOf(M))));
    json.writeValue(manifest.toFile(), root);
    ModelPack pack = ModelPack.load(packDir);
    try (OrtSession encoder =
            OnnxSessions.open(pack.file(pack.manifest().sourceEncoder().file()), "cpu", 1);
        FrameRenderer renderer = new FrameRenderer(pack, "cpu", 1)) {
      SourceState source =
          SourceState.build(
              Portraits.read(Path.of("../examples/astronaut.png")),
              null,
              pack.manifest(),
              encoder,
              false);
      float[] appearance = source.appearance().get("appearance");
      for (int batch : new int[] {4, 3, 4, 1}) {
        float[] motion = new float[batch * M];
        for (int b = 0; b < batch; b++) {
          motion[b * M] = 0.1f * (b + 1);
        }
        FloatBuffer frames = renderer.render(source, motion, batch, M).frames();
        assertThat(frames.remaining()).isEqualTo(batch * appearance.length);
        for (int b = 0; b < batch; b++) {
          for (int i = 0; i < appearance.length; i += 997) {
            assertThat(frames.get(b * appearance.length + i))
                .isCloseTo(appearance[i] * (1 + 0.1f * (b + 1)), within(1e-5f));
          }
        }
      }
    }
  }
}
