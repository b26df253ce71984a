package dev.actorfarm.audio;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.FloatBuffer;
import java.util.Map;

/** The pack's audio encoder: one window's audio chunk → its feature frames {@code [W, D]}. */
public final class AudioEncoderStage implements AutoCloseable {

  private final OrtSession session;
  private final PackManifest.AudioEncoder spec;
  private final String inputName;
  private final String outputName;

  public AudioEncoderStage(ModelPack pack, String executionProvider, int threads)
      throws OrtException {
    this.spec = pack.manifest().audioEncoder();
    this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
    this.inputName = spec.inputs().get("pcm").name();
    this.outputName = spec.outputs().get("features").name();
  }

  public PackManifest.AudioEncoder spec() {
    return spec;
  }

  /** Encodes a chunk; returns {@code frames × D} values, checking the frame count. */
  public float[] encode(float[] chunk, int expectedFrames) throws OrtException {
    long started = System.nanoTime();
    try (OnnxTensor in =
            OnnxTensor.createTensor(
                OnnxSessions.environment(), FloatBuffer.wrap(chunk), new long[] {1, chunk.length});
        OrtSession.Result r = session.run(Map.of(inputName, in))) {
      FarmMetrics.INFERENCE_SECONDS
          .labelValues("audio_encoder")
          .observe((System.nanoTime() - started) / 1e9);
      OnnxTensor out = (OnnxTensor) r.get(outputName).orElseThrow();
      long[] shape = out.getInfo().getShape();
      if (shape.length != 3 || shape[1] != expectedFrames || shape[2] != spec.featureDim()) {
        throw new OrtException(
            "audio encoder returned shape "
                + java.util.Arrays.toString(shape)
                + ", expected [1, "
                + expectedFrames
                + ", "
                + spec.featureDim()
                + "]");
      }
      FloatBuffer b = out.getFloatBuffer();
      float[] values = new float[b.remaining()];
      b.get(values);
      return values;
    }
  }

  /**
   * A windower of the pack's geometry that encodes each window's audio and passes the window's
   * features ({@code windowFrames × D} values) to {@code features}.
   */
  public FeatureWindower windower(int windowFrames, FeatureWindower.ChunkSink features) {
    return new FeatureWindower(
        windowFrames,
        spec.hopSamples(),
        spec.lookBehindSamples(),
        spec.lookAheadSamples(),
        (index, chunk) -> {
          try {
            features.accept(index, encode(chunk, windowFrames));
          } catch (OrtException e) {
            throw new java.io.IOException("audio encoder failed: " + e.getMessage(), e);
          }
        });
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
