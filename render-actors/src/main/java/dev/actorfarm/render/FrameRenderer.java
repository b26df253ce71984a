package dev.actorfarm.render;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/** The pack's renderer: appearance tensors + a batch of motion frames → rendered crops. */
public final class FrameRenderer implements AutoCloseable {

  private final OrtSession session;
  private final PackManifest.Renderer spec;
  private final Map<String, OnnxTensor> appearance = new HashMap<>();
  private final Map<Integer, OnnxTensor> outputs = new HashMap<>();
  private SourceState appearanceOf;

  public FrameRenderer(ModelPack pack, String executionProvider, int threads) throws OrtException {
    this.spec = pack.manifest().renderer();
    this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
  }

  public int maxBatch() {
    return spec.maxBatch();
  }

  /**
   * Renders {@code batch} motion frames ({@code batch × M} values); returns {@code [B,3,H,W]} in a
   * direct buffer that ONNX Runtime wrote into (a pinned output) and that stays valid until the
   * next call. The source's appearance tensors are built once per source and reused: a window
   * allocates nothing per batch, so the heap does not grow with a job's length.
   */
  public FloatBuffer render(SourceState source, float[] motion, int batch, int motionDim)
      throws OrtException {
    var env = OnnxSessions.environment();
    if (source != appearanceOf) {
      closeAppearance();
      for (var e : spec.inputs().entrySet()) {
        if (e.getKey().equals("motion")) {
          continue;
        }
        float[] a = source.appearance().get(e.getKey());
        if (a == null) {
          throw new OrtException(
              "renderer input '" + e.getKey() + "' is not an output of the source encoder");
        }
        FloatBuffer direct =
            ByteBuffer.allocateDirect(a.length * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        direct.put(a).flip();
        appearance.put(
            e.getValue().name(),
            OnnxTensor.createTensor(env, direct, source.appearanceShape(e.getKey())));
      }
      appearanceOf = source;
    }
    OnnxTensor out = outputs.get(batch);
    if (out == null) {
      long[] shape = {batch, 3, spec.height(), spec.width()};
      FloatBuffer buffer =
          ByteBuffer.allocateDirect(batch * 3 * spec.height() * spec.width() * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      out = OnnxTensor.createTensor(env, buffer, shape);
      outputs.put(batch, out);
    }
    Map<String, OnnxTensor> in = new HashMap<>(appearance);
    try (OnnxTensor m =
        OnnxTensor.createTensor(
            env, FloatBuffer.wrap(motion, 0, batch * motionDim), new long[] {batch, motionDim})) {
      in.put(spec.inputs().get("motion").name(), m);
      // The result holds no value of its own: the pinned output stays ours.
      session.run(in, Map.of(spec.outputs().get("frames").name(), out)).close();
      FloatBuffer frames = (FloatBuffer) out.getBufferRef().orElseThrow();
      return frames.duplicate().clear();
    }
  }

  private void closeAppearance() {
    appearance.values().forEach(OnnxTensor::close);
    appearance.clear();
    appearanceOf = null;
  }

  @Override
  public void close() throws OrtException {
    closeAppearance();
    outputs.values().forEach(OnnxTensor::close);
    session.close();
  }
}
