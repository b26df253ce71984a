package dev.actorfarm.pack;

import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tribuo.util.onnx.ONNXRef;

/**
 * A renderer as many learned exports are: every input has a dynamic batch dimension and the graph
 * needs the batches equal (it concatenates the appearance with planes made from the motion), so a
 * batch-1 appearance fed with a batch of motion fails unless the farm tiles it. Its output is a
 * known function: frame b = appearance × (1 + motion[b, 0]).
 */
public final class BatchedRendererTwin {

  private BatchedRendererTwin() {}

  /** Writes the renderer for appearance {@code [B, 3, size, size]} and motion {@code [B, dim]}. */
  public static void write(Path file, int size, int motionDim) throws IOException {
    Graph g = new Graph("batched_renderer");
    long s = size;
    ONNXRef<?> appearance =
        g.input(new TensorSpec("appearance", "float32", List.of(-1L, 3L, s, s), null));
    ONNXRef<?> motion =
        g.input(new TensorSpec("motion", "float32", List.of(-1L, (long) motionDim), null));
    ONNXRef<?> gain = g.reshape(g.slice(motion, 1, 0, 1), -1, 1, 1, 1); // [B,1,1,1]
    float[] ones = new float[size * size];
    java.util.Arrays.fill(ones, 1f);
    ONNXRef<?> planes = g.mul(gain, g.tensor(ones, 1, 1, size, size)); // [B,1,S,S]
    ONNXRef<?> joined = g.concat(1, appearance, planes); // needs equal batches
    ONNXRef<?> frames = g.mul(g.slice(joined, 1, 0, 3), g.add(g.slice(joined, 1, 3, 4), 1f));
    g.output(new TensorSpec("frames", "float32", List.of(-1L, 3L, s, s), null), frames);
    g.write(file, "actorfarm twin of a renderer with dynamic-batch inputs");
  }
}
