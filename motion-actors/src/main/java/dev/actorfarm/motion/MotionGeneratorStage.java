package dev.actorfarm.motion;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The pack's motion generator for one window: features, context and seeded noise in, motion out. A
 * "single-pass" pack is run once; a diffusion pack's denoiser step is run by the host sampler,
 * which this farm does not implement yet (the manifest is refused with that reason).
 */
public final class MotionGeneratorStage implements AutoCloseable {

  private final OrtSession session;
  private final PackManifest.MotionGenerator spec;
  private final int packFps;

  public MotionGeneratorStage(ModelPack pack, String executionProvider, int threads)
      throws OrtException {
    this.spec = pack.manifest().motionGenerator();
    this.packFps = pack.manifest().fps();
    if (!"single-pass".equals(spec.sampler())) {
      throw new IllegalArgumentException(
          "motion generator sampler '" + spec.sampler() + "' is not supported by this farm");
    }
    this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
  }

  public PackManifest.MotionGenerator spec() {
    return spec;
  }

  /** The rate the generator's motion is made at (not the output's rate). */
  public int packFps() {
    return packFps;
  }

  /** The rest pose repeated over the context: the context of a job's first window. */
  public float[] initialContext() {
    float[] ctx = new float[spec.contextFrames() * spec.motionDim()];
    for (int p = 0; p < spec.contextFrames(); p++) {
      for (int m = 0; m < spec.motionDim(); m++) {
        ctx[p * spec.motionDim() + m] = spec.restPose().get(m);
      }
    }
    return ctx;
  }

  /** Runs one window; returns {@code [W × M]} motion values. */
  public float[] generate(float[] features, float[] context, float[] noise, float[] controls)
      throws OrtException {
    int w = spec.windowFrames();
    int m = spec.motionDim();
    int d = features.length / w;
    var env = OnnxSessions.environment();
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put(
          name("audio_features"),
          OnnxTensor.createTensor(env, FloatBuffer.wrap(features), new long[] {1, w, d}));
      in.put(
          name("context"),
          OnnxTensor.createTensor(
              env, FloatBuffer.wrap(context), new long[] {1, spec.contextFrames(), m}));
      in.put(
          name("noise"),
          OnnxTensor.createTensor(env, FloatBuffer.wrap(noise), new long[] {1, w, m}));
      if (spec.inputs().containsKey("controls")) {
        in.put(
            name("controls"),
            OnnxTensor.createTensor(
                env, FloatBuffer.wrap(controls), new long[] {1, controls.length}));
      }
      long started = System.nanoTime();
      try (OrtSession.Result r = session.run(in)) {
        FarmMetrics.INFERENCE_SECONDS
            .labelValues("motion_generator")
            .observe((System.nanoTime() - started) / 1e9);
        OnnxTensor out = (OnnxTensor) r.get(spec.outputs().get("motion").name()).orElseThrow();
        FloatBuffer b = out.getFloatBuffer();
        float[] motion = new float[b.remaining()];
        b.get(motion);
        if (motion.length != w * m) {
          throw new OrtException(
              "motion generator returned " + motion.length + " values, expected " + w * m);
        }
        return motion;
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  private String name(String role) {
    return spec.inputs().get(role).name();
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
