package dev.actorfarm.motion;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.motion.diffusion.DiffusionSampler;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
import dev.actorfarm.runtime.pack.PackManifest.TensorSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pack's motion generator for one window: features, context and the job's seed in, motion out.
 * A "single-pass" pack is run once with noise drawn at (seed, window). A diffusion pack ("ddim" or
 * "ddpm") exports one denoiser step, which the host {@link DiffusionSampler} runs; its motion is
 * normalised inside the generator ({@code motion = normalised × std + mean}), and this stage
 * normalises the context going in and de-normalises the window coming out, so the context, the
 * checkpoint and the renderer all see motion in the pack's own units.
 */
public final class MotionGeneratorStage implements AutoCloseable {

  private final OrtSession session;
  private final OnnxModel denoiser;
  private final DiffusionSampler sampler;
  private final PackManifest.MotionGenerator spec;
  private final int packFps;

  public MotionGeneratorStage(ModelPack pack, String executionProvider, int threads)
      throws OrtException {
    this.spec = pack.manifest().motionGenerator();
    this.packFps = pack.manifest().fps();
    if ("single-pass".equals(spec.sampler())) {
      this.session = OnnxSessions.open(pack.file(spec.file()), executionProvider, threads);
      this.denoiser = null;
      this.sampler = null;
      return;
    }
    this.session = null;
    this.sampler =
        new DiffusionSampler(
            spec.sampler(),
            spec.steps(),
            spec.diffusion(),
            spec.contextFrames(),
            spec.windowFrames(),
            spec.motionDim(),
            spec.guidance(),
            spec.guidance() != 1f);
    try {
      this.denoiser =
          OnnxModel.open(
              pack.file(spec.file()),
              "motionGenerator",
              byRole(spec.inputs()),
              byRole(spec.outputs()),
              executionProvider,
              threads);
    } catch (java.io.IOException e) {
      throw new OrtException(e.getMessage());
    }
  }

  private static List<TensorSpec> byRole(Map<String, TensorSpec> specs) {
    List<TensorSpec> out = new ArrayList<>();
    specs.forEach((role, t) -> out.add(new TensorSpec(t.name(), t.dtype(), t.shape(), role)));
    return out;
  }

  /** The diffusion sampler, or null for a single-pass generator. */
  public DiffusionSampler sampler() {
    return sampler;
  }

  /**
   * The motion of window {@code window} of a job seeded {@code seed}, with the controls of each of
   * its frames ({@code [W × C]}, in the manifest's order): {@code [W × M]} values in the pack's
   * units.
   */
  public float[] window(float[] features, float[] context, long seed, int window, float[] controls)
      throws OrtException {
    int w = spec.windowFrames();
    int m = spec.motionDim();
    if (sampler == null) {
      return generate(features, context, CounterRng.normals(seed, window, w * m), controls);
    }
    long started = System.nanoTime();
    float[] normalised =
        sampler.sample(
            (batch, x, t, f) -> denoise(batch, x, t, f, controls),
            features,
            normalise(context),
            seed,
            window);
    FarmMetrics.INFERENCE_SECONDS
        .labelValues("motion_generator")
        .observe((System.nanoTime() - started) / 1e9);
    return denormalise(normalised);
  }

  private float[] denoise(int batch, float[] x, float[] t, float[] f, float[] controls)
      throws OrtException {
    int rows = spec.contextFrames() + spec.windowFrames();
    Map<String, float[]> values = new HashMap<>();
    Map<String, long[]> shapes = new HashMap<>();
    values.put("motion", x);
    shapes.put("motion", new long[] {batch, rows, spec.motionDim()});
    values.put("timesteps", t);
    shapes.put("timesteps", new long[] {batch, rows});
    values.put("audio_features", f);
    shapes.put(
        "audio_features",
        new long[] {batch, spec.windowFrames(), f.length / batch / spec.windowFrames()});
    if (spec.inputs().containsKey("controls")) {
      float[] one = controlsInput(controls);
      float[] c = new float[batch * one.length];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(one, 0, c, b * one.length, one.length);
      }
      values.put("controls", c);
      long[] shape = controlsShape();
      shape[0] = batch;
      shapes.put("controls", shape);
    }
    return denoiser.run(values, shapes).get("prediction");
  }

  private float[] normalise(float[] motion) {
    return statistics(motion, true);
  }

  private float[] denormalise(float[] normalised) {
    return statistics(normalised, false);
  }

  /** (x − mean) / std, or its inverse x·std + mean, per motion dimension. */
  private float[] statistics(float[] values, boolean normalise) {
    float[] out = values.clone();
    var d = spec.diffusion();
    int m = spec.motionDim();
    for (int i = 0; i < out.length; i++) {
      float mean = d.mean() == null ? 0 : d.mean().get(i % m);
      float std = d.std() == null ? 1 : d.std().get(i % m);
      out[i] = normalise ? (out[i] - mean) / std : out[i] * std + mean;
    }
    return out;
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
    float[] rest = spec.restPoseValues();
    float[] ctx = new float[spec.contextFrames() * rest.length];
    for (int p = 0; p < spec.contextFrames(); p++) {
      System.arraycopy(rest, 0, ctx, p * rest.length, rest.length);
    }
    return ctx;
  }

  /** Runs one window of a single-pass generator; returns {@code [W × M]} motion values. */
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
                env, FloatBuffer.wrap(controlsInput(controls)), controlsShape()));
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

  /** Whether the generator takes its controls per frame ({@code [1, W, C]}) or per window. */
  private boolean perFrame() {
    return spec.inputs().get("controls").shape().size() == 3;
  }

  private long[] controlsShape() {
    int c = spec.controls() == null ? 0 : spec.controls().size();
    return perFrame() ? new long[] {1, spec.windowFrames(), c} : new long[] {1, c};
  }

  /**
   * The controls as the generator takes them, from {@code [W × C]} per-frame values: as they are,
   * or their mean over the window for a generator that takes one value per window.
   */
  private float[] controlsInput(float[] perFrame) {
    if (perFrame()) {
      return perFrame;
    }
    int w = spec.windowFrames();
    int c = perFrame.length / w;
    float[] mean = new float[c];
    for (int f = 0; f < w; f++) {
      for (int i = 0; i < c; i++) {
        mean[i] += perFrame[f * c + i] / w;
      }
    }
    return mean;
  }

  private String name(String role) {
    return spec.inputs().get(role).name();
  }

  @Override
  public void close() throws OrtException {
    if (session != null) {
      session.close();
    }
    if (denoiser != null) {
      denoiser.close();
    }
  }
}
