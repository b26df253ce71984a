package dev.actorfarm.render;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/** The pack's renderer: appearance tensors + a batch of motion frames → rendered crops. */
public final class FrameRenderer implements AutoCloseable {

  private final OrtSession session;
  private final PackManifest.Renderer spec;

  public FrameRenderer(ModelPack pack, String executionProvider, int threads) throws OrtException {
    this.spec = pack.manifest().renderer();
    this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
  }

  public int maxBatch() {
    return spec.maxBatch();
  }

  /** Renders {@code batch} motion frames ({@code batch × M} values); returns {@code [B,3,H,W]}. */
  public float[] render(SourceState source, float[] motion, int batch, int motionDim)
      throws OrtException {
    var env = OnnxSessions.environment();
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      for (var e : spec.inputs().entrySet()) {
        if (e.getKey().equals("motion")) {
          in.put(
              e.getValue().name(),
              OnnxTensor.createTensor(
                  env,
                  FloatBuffer.wrap(motion, 0, batch * motionDim),
                  new long[] {batch, motionDim}));
        } else {
          float[] a = source.appearance().get(e.getKey());
          if (a == null) {
            throw new OrtException(
                "renderer input '" + e.getKey() + "' is not an output of the source encoder");
          }
          in.put(
              e.getValue().name(),
              OnnxTensor.createTensor(
                  env, FloatBuffer.wrap(a), source.appearanceShape(e.getKey())));
        }
      }
      try (OrtSession.Result r =
          session.run(in, java.util.Set.of(spec.outputs().get("frames").name()))) {
        FloatBuffer b = ((OnnxTensor) r.get(0)).getFloatBuffer();
        float[] frames = new float[b.remaining()];
        b.get(frames);
        return frames;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
