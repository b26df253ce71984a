package dev.actorfarm.runtime.pack;

import java.util.List;
import java.util.Map;

/**
 * The {@code model-pack.json} of a model pack: per stage, the ONNX file, the tensor bound to each
 * role (name, dtype, shape; -1 marks a dynamic dimension) and the stage's parameters. The format is
 * documented in model-pack/README.md.
 */
public record PackManifest(
    int formatVersion,
    String name,
    String version,
    String description,
    int fps,
    AudioEncoder audioEncoder,
    MotionGenerator motionGenerator,
    SourceEncoder sourceEncoder,
    Renderer renderer) {

  /** The manifest format this build reads. */
  public static final int FORMAT_VERSION = 1;

  /** A tensor bound to a role. */
  public record TensorSpec(String name, String dtype, List<Long> shape) {}

  /** PCM float32 at {@code sampleRate} → features {@code [1, T, featureDim]} at the pack's fps. */
  public record AudioEncoder(
      String file,
      int sampleRate,
      int hopSamples,
      int lookBehindSamples,
      int lookAheadSamples,
      int featureDim,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {}

  /**
   * Per window: audio features {@code [1, W, D]}, context {@code [1, P, M]}, noise {@code [1, W,
   * M]}, controls {@code [1, C]} → motion {@code [1, W, M]}. {@code sampler} is "single-pass" for a
   * direct generator or "ddim" for a diffusion denoiser step run {@code steps} times.
   */
  public record MotionGenerator(
      String file,
      int windowFrames,
      int contextFrames,
      int motionDim,
      List<String> motionChannels,
      List<Float> restPose,
      List<String> controls,
      String sampler,
      int steps,
      float guidance,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {}

  /**
   * Portrait crop {@code [1, 3, cropSize, cropSize]} in [0, 1] → named appearance tensors. The crop
   * is a square of side {@code cropScale} × the face box width, centred on the face box centre
   * moved down by {@code cropShiftY} × the face box height.
   */
  public record SourceEncoder(
      String file,
      int cropSize,
      double cropScale,
      double cropShiftY,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {}

  /**
   * Appearance tensors (bound by the source encoder's output roles) + motion {@code [B, M]} →
   * frames {@code [B, 3, H, W]} in [0, 1]. Stateless and batchable up to {@code maxBatch}.
   */
  public record Renderer(
      String file,
      int maxBatch,
      int height,
      int width,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {}
}
