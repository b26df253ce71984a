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
import java.util.List;
import java.util.Map;

/** The pack's renderer: appearance tensors + a batch of motion frames → rendered crops. */
public final class FrameRenderer implements AutoCloseable {

  private final OrtSession session;
  private final boolean ownsSession;
  private final PackManifest.Renderer spec;
  private final Map<String, OnnxTensor> appearance = new HashMap<>();

  /** Appearance tensors tiled to a batch, by batch size (inputs with a dynamic batch only). */
  private final Map<Integer, Map<String, OnnxTensor>> tiled = new HashMap<>();

  private final Map<Integer, OnnxTensor> outputs = new HashMap<>();
  private final Map<Integer, OnnxTensor> alphas = new HashMap<>();
  private SourceState appearanceOf;

  /** A renderer on a session of its own, opened here and closed with it. */
  public FrameRenderer(ModelPack pack, String executionProvider, int threads) throws OrtException {
    this.spec = pack.manifest().renderer();
    this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
    this.ownsSession = true;
  }

  /**
   * A renderer on {@code session}, which its owner closes: several renderers may run one session at
   * once (ONNX Runtime's {@code Run} is thread-safe); each keeps its own tensors.
   */
  FrameRenderer(PackManifest.Renderer spec, OrtSession session) {
    this.spec = spec;
    this.session = session;
    this.ownsSession = false;
  }

  /**
   * A rendered batch: {@code frames [B, 3, H, W]} and, when the renderer has an {@code alpha}
   * output, {@code alpha [B, 1, H, W]} (else null). Both stay valid until the next call.
   */
  public record Batch(FloatBuffer frames, FloatBuffer alpha) {}

  PackManifest.Renderer spec() {
    return spec;
  }

  public int maxBatch() {
    return spec.maxBatch();
  }

  /**
   * Renders {@code batch} motion frames ({@code batch × M} values); returns the frames (and alpha)
   * in direct buffers that ONNX Runtime wrote into (pinned outputs) and that stay valid until the
   * next call. The source's appearance tensors are built once per source and reused: a window
   * allocates nothing per batch, so the heap does not grow with a job's length.
   */
  public Batch render(SourceState source, float[] motion, int batch, int motionDim)
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
    OnnxTensor out = pinned(outputs, batch, 3);
    PackManifest.TensorSpec alphaSpec = spec.outputs().get(SourceState.ALPHA);
    OnnxTensor alpha = alphaSpec == null ? null : pinned(alphas, batch, 1);
    Map<String, OnnxTensor> in = new HashMap<>(appearance);
    if (batch > 1) {
      in.putAll(tiledAppearance(source, batch));
    }
    try (OnnxTensor m =
        OnnxTensor.createTensor(
            env, FloatBuffer.wrap(motion, 0, batch * motionDim), new long[] {batch, motionDim})) {
      in.put(spec.inputs().get("motion").name(), m);
      Map<String, OnnxTensor> pinnedOutputs = new HashMap<>();
      pinnedOutputs.put(spec.outputs().get("frames").name(), out);
      if (alpha != null) {
        pinnedOutputs.put(alphaSpec.name(), alpha);
      }
      // The result holds no value of its own: the pinned outputs stay ours.
      session.run(in, pinnedOutputs).close();
      return new Batch(buffer(out), alpha == null ? null : buffer(alpha));
    }
  }

  /**
   * The source's batch-1 appearance tensors repeated {@code batch} times, for the inputs the
   * renderer declares with a dynamic batch (−1): many exported renderers need the appearance's
   * batch equal to the motion's. Inputs declared with batch 1 are fed as they are (the graph
   * broadcasts them). Made once per source and batch size.
   */
  private Map<String, OnnxTensor> tiledAppearance(SourceState source, int batch)
      throws OrtException {
    Map<String, OnnxTensor> t = tiled.get(batch);
    if (t != null) {
      return t;
    }
    t = new HashMap<>();
    for (var e : spec.inputs().entrySet()) {
      List<Long> declared = e.getValue().shape();
      long[] shape = source.appearanceShape(e.getKey());
      if (e.getKey().equals("motion")
          || declared == null
          || declared.isEmpty()
          || declared.get(0) != -1
          || shape == null
          || shape.length == 0
          || shape[0] != 1) {
        continue;
      }
      float[] a = source.appearance().get(e.getKey());
      FloatBuffer direct =
          ByteBuffer.allocateDirect(batch * a.length * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      for (int b = 0; b < batch; b++) {
        direct.put(a);
      }
      direct.flip();
      long[] batched = shape.clone();
      batched[0] = batch;
      t.put(
          e.getValue().name(),
          OnnxTensor.createTensor(OnnxSessions.environment(), direct, batched));
    }
    tiled.put(batch, t);
    return t;
  }

  private static FloatBuffer buffer(OnnxTensor t) {
    return ((FloatBuffer) t.getBufferRef().orElseThrow()).duplicate().clear();
  }

  /** The pinned output of {@code channels} planes for a batch of {@code batch}, made once. */
  private OnnxTensor pinned(Map<Integer, OnnxTensor> cache, int batch, int channels)
      throws OrtException {
    OnnxTensor t = cache.get(batch);
    if (t == null) {
      long[] shape = {batch, channels, spec.height(), spec.width()};
      FloatBuffer buffer =
          ByteBuffer.allocateDirect(batch * channels * spec.height() * spec.width() * Float.BYTES)
              .order(ByteOrder.nativeOrder())
              .asFloatBuffer();
      t = OnnxTensor.createTensor(OnnxSessions.environment(), buffer, shape);
      cache.put(batch, t);
    }
    return t;
  }

  private void closeAppearance() {
    appearance.values().forEach(OnnxTensor::close);
    appearance.clear();
    tiled.values().forEach(m -> m.values().forEach(OnnxTensor::close));
    tiled.clear();
    appearanceOf = null;
  }

  @Override
  public void close() throws OrtException {
    closeAppearance();
    outputs.values().forEach(OnnxTensor::close);
    alphas.values().forEach(OnnxTensor::close);
    if (ownsSession) {
      session.close();
    }
  }
}
