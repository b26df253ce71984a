package dev.actorfarm.runtime.pack;

import java.util.List;
import java.util.Map;

/**
 * The {@code model-pack.json} of a model pack. The format is documented in model-pack/README.md.
 *
 * <p>Format 1: per stage, one ONNX file, the tensor bound to each role (name, dtype, shape; -1
 * marks a dynamic dimension) and the stage's parameters.
 *
 * <p>Format 2 adds, and checks strictly (an unknown key is refused):
 *
 * <ul>
 *   <li>{@code models}: every ONNX file of the pack with its declared inputs and outputs in order
 *       (names, dtypes including float16, shapes), its opset and its largest batch; a stage made of
 *       several files and host steps (the LivePortrait family) names its files here;
 *   <li>{@code from: "reference"} on the audio encoder or motion generator: the stage is the farm's
 *       own reference stage (the LivePortrait family has no audio model of its own);
 *   <li>diffusion motion generators ({@link Diffusion}) and the motion layout they produce;
 *   <li>{@code liveportrait}: the LivePortrait family's crop, paste-back and retargeting settings.
 * </ul>
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
    Renderer renderer,
    Map<String, ModelFile> models,
    LivePortrait liveportrait) {

  /** The newest manifest format this build reads (and every older one). */
  public static final int FORMAT_VERSION = 2;

  /** The motion layout of the reference pack's renderer (9 named channels). */
  public static final String LAYOUT_REFERENCE = "reference";

  /**
   * JoyVASA's 70 values per frame: exp 63, scale, t 3, pitch, yaw, roll (degrees), absolute.
   * LivePortrait renderers take it relative to the job's first frame (see {@code
   * LivePortraitMotion}).
   */
  public static final String LAYOUT_JOYVASA = "joyvasa";

  /** A format 1 manifest (the four single-file stages). */
  public PackManifest(
      int formatVersion,
      String name,
      String version,
      String description,
      int fps,
      AudioEncoder audioEncoder,
      MotionGenerator motionGenerator,
      SourceEncoder sourceEncoder,
      Renderer renderer) {
    this(
        formatVersion,
        name,
        version,
        description,
        fps,
        audioEncoder,
        motionGenerator,
        sourceEncoder,
        renderer,
        null,
        null);
  }

  /** True for a LivePortrait-family pack (its source and render stages are host pipelines). */
  public boolean livePortraitFamily() {
    return liveportrait != null;
  }

  /**
   * A tensor bound to a role. {@code dtype} is "float32" or "float16". In a format 2 model file the
   * role is what the farm uses the tensor for ({@code role}, by default the name) and the name is
   * what the file calls it: packs exported by different tools name the same tensor differently.
   */
  public record TensorSpec(String name, String dtype, List<Long> shape, String role) {
    public TensorSpec {
      dtype = dtype == null ? "float32" : dtype;
    }

    public TensorSpec(String name, String dtype, List<Long> shape) {
      this(name, dtype, shape, null);
    }

    /** The role this tensor plays: {@code role}, or the name when none is declared. */
    public String roleName() {
      return role == null ? name : role;
    }
  }

  /**
   * One ONNX file of a format 2 pack: its inputs in the order the file declares them, its outputs
   * (bound by name), the opset it must be read with and the largest batch it takes (1 for files
   * exported with fixed shapes).
   */
  public record ModelFile(
      String file,
      Integer opset,
      Integer maxBatch,
      List<TensorSpec> inputs,
      List<TensorSpec> outputs) {}

  /** PCM float32 at {@code sampleRate} → features {@code [1, T, featureDim]} at the pack's fps. */
  public record AudioEncoder(
      String from,
      String file,
      int sampleRate,
      int hopSamples,
      int lookBehindSamples,
      int lookAheadSamples,
      int featureDim,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {

    public AudioEncoder(
        String file,
        int sampleRate,
        int hopSamples,
        int lookBehindSamples,
        int lookAheadSamples,
        int featureDim,
        Map<String, TensorSpec> inputs,
        Map<String, TensorSpec> outputs) {
      this(
          null,
          file,
          sampleRate,
          hopSamples,
          lookBehindSamples,
          lookAheadSamples,
          featureDim,
          inputs,
          outputs);
    }
  }

  /**
   * One control the motion generator takes, fed by name: its range and the value it has when a job
   * does not set it. The farm's own controls ({@code dev.actorfarm.runtime.direction.FarmControls})
   * fill the ranges and defaults a manifest leaves out; a bare name (format 1 packs) is a control
   * with neither.
   */
  public record Control(
      String name,
      Float min,
      Float max,
      @com.fasterxml.jackson.annotation.JsonProperty("default") Float defaultValue) {

    @com.fasterxml.jackson.annotation.JsonCreator(
        mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
    public static Control named(String name) {
      return new Control(name, null, null, null);
    }

    @com.fasterxml.jackson.annotation.JsonCreator(
        mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.PROPERTIES)
    public static Control of(
        @com.fasterxml.jackson.annotation.JsonProperty("name") String name,
        @com.fasterxml.jackson.annotation.JsonProperty("min") Float min,
        @com.fasterxml.jackson.annotation.JsonProperty("max") Float max,
        @com.fasterxml.jackson.annotation.JsonProperty("default") Float defaultValue) {
      return new Control(name, min, max, defaultValue);
    }
  }

  /**
   * Per window: audio features {@code [1, W, D]}, context {@code [1, P, M]}, noise {@code [1, W,
   * M]}, controls {@code [1, C]} (one value per window) or {@code [1, W, C]} (per frame), in the
   * order of {@code controls} → motion {@code [1, W, M]}. {@code sampler} is "single-pass" for a
   * direct generator, or "ddim" or "ddpm" for a diffusion denoiser step that the host sampler runs
   * {@code steps} times with classifier-free {@code guidance} (see {@link Diffusion}). {@code
   * layout} names the motion's channels: "reference" (default) or "joyvasa".
   */
  public record MotionGenerator(
      String from,
      String file,
      int windowFrames,
      int contextFrames,
      int motionDim,
      List<String> motionChannels,
      List<Float> restPose,
      List<Control> controls,
      String sampler,
      int steps,
      float guidance,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs,
      String layout,
      Diffusion diffusion) {

    public MotionGenerator(
        String file,
        int windowFrames,
        int contextFrames,
        int motionDim,
        List<String> motionChannels,
        List<Float> restPose,
        List<Control> controls,
        String sampler,
        int steps,
        float guidance,
        Map<String, TensorSpec> inputs,
        Map<String, TensorSpec> outputs) {
      this(
          null,
          file,
          windowFrames,
          contextFrames,
          motionDim,
          motionChannels,
          restPose,
          controls,
          sampler,
          steps,
          guidance,
          inputs,
          outputs,
          null,
          null);
    }

    /** The motion layout, "reference" when the manifest names none. */
    public String motionLayout() {
      return layout == null ? LAYOUT_REFERENCE : layout;
    }

    /** The rest pose as {@code motionDim} values: the motion at silence. */
    public float[] restPoseValues() {
      float[] out = new float[restPose.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = restPose.get(i);
      }
      return out;
    }
  }

  /**
   * A diffusion generator's host sampler settings. The ONNX file is one denoiser step: {@code
   * motion [B, P+W, M]} (the context frames, then the window's), {@code timesteps [B, P+W]} (each
   * frame's noise level, a training step in [0, trainSteps)), {@code audio_features [B, W, D]} →
   * {@code prediction [B, P+W, M]}. With guidance ≠ 1 the host batches the condition and the null
   * condition (features all {@code nullFeature}) as B = 2.
   *
   * @param prediction what the step predicts: "eps", "x0" or "v"
   * @param schedule "linear" (betas from betaStart to betaEnd) or "cosine" (Nichol and Dhariwal)
   * @param eta DDIM's eta (0: deterministic); ignored by "ddpm"
   * @param forcingStagger diffusion forcing (X-Actor): frame j of the window starts denoising
   *     {@code j × forcingStagger} steps after frame 0, so noise levels rise across the window and
   *     fall monotonically at every frame; 0 denoises the window at one level
   * @param contextLevel the noise level the context frames are shown at (a training step, 0 =
   *     clean)
   * @param mean per motion dimension, subtracted before the generator (de-normalisation adds it)
   * @param std per motion dimension: motion = normalised × std + mean
   */
  public record Diffusion(
      String prediction,
      String schedule,
      int trainSteps,
      double betaStart,
      double betaEnd,
      double eta,
      double forcingStagger,
      int contextLevel,
      float nullFeature,
      List<Float> mean,
      List<Float> std) {}

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
   * frames {@code [B, 3, H, W]} in [0, 1]. Stateless and batchable up to {@code maxBatch}. H × W is
   * the renderer's own output size, which need not be the crop's.
   */
  public record Renderer(
      String file,
      int maxBatch,
      int height,
      int width,
      Map<String, TensorSpec> inputs,
      Map<String, TensorSpec> outputs) {}

  /**
   * The LivePortrait family (FasterLivePortrait's {@code liveportrait_onnx} files, named in {@code
   * models}): crop, paste-back and retargeting settings, after LivePortrait's {@code
   * crop_config.py} and {@code inference_config.py}.
   *
   * @param cropSize the network's input side (256)
   * @param outputSize warping_spade's output side (512)
   * @param cropScale crop side / face size (2.3)
   * @param cropShiftY crop centre shift along the face's eye-to-mouth axis, in crop sides (-0.125)
   * @param drivingCropScale a driving frame's crop (2.2)
   * @param drivingCropShiftY a driving frame's crop shift (-0.1)
   * @param drivingMultiplier x_d ← x_s + (x_d − x_s) × this
   * @param stitching run the stitching network on every frame
   * @param normalizeLip close the source's mouth first (relative driving)
   * @param lipNormalizeThreshold the source lip ratio from which the mouth is closed first
   * @param eyeRetargeting eyelids through stitching_eye (else through keypoints 13 and 16)
   * @param pasteFeather the paste-back mask's feather, in crop sides
   */
  public record LivePortrait(
      int cropSize,
      int outputSize,
      double cropScale,
      double cropShiftY,
      double drivingCropScale,
      double drivingCropShiftY,
      double drivingMultiplier,
      boolean stitching,
      boolean normalizeLip,
      double lipNormalizeThreshold,
      boolean eyeRetargeting,
      double pasteFeather) {}
}
