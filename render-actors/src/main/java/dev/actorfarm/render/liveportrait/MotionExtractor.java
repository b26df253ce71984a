package dev.actorfarm.render.liveportrait;

import ai.onnxruntime.OrtException;
import dev.actorfarm.render.face.CropFrame;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath;
import dev.actorfarm.runtime.liveportrait.LivePortraitMath.KpInfo;
import dev.actorfarm.runtime.onnx.OnnxModel;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackChecks;
import dev.actorfarm.runtime.pack.PackManifest;
import java.io.IOException;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A LivePortrait-family pack's own {@code motion_extractor}: a crop in, pose (degrees from the bin
 * logits), translation, expression, scale and canonical keypoints out. The renderer runs it on the
 * source portrait; the video stage runs it on every driving frame, cropped as LivePortrait crops a
 * driving video ({@code drivingCropScale}, {@code drivingCropShiftY}), and hands on the frame in
 * the JoyVASA layout, which the renderer reads relative to the first driving frame (LivePortrait's
 * relative mode).
 */
public final class MotionExtractor implements AutoCloseable {

  /** A driving frame's values: exp 63, scale, t 3, pitch, yaw, roll (the JoyVASA layout). */
  public static final int DRIVING_VALUES = 70;

  private final OnnxModel model;
  private final PackManifest.LivePortrait lp;

  public MotionExtractor(ModelPack pack, String executionProvider, int threads) throws IOException {
    this.lp = pack.manifest().liveportrait();
    this.model = OnnxModel.open(pack, PackChecks.MOTION_EXTRACTOR, executionProvider, threads);
  }

  /** The extractor on a crop {@code [3 × S × S]} in [0, 1]. */
  public KpInfo extract(float[] img) throws OrtException {
    int c = lp.cropSize();
    Map<String, float[]> r = model.run(Map.of("img", img), Map.of("img", new long[] {1, 3, c, c}));
    return new KpInfo(
        LivePortraitMath.degrees(r.get("pitch")),
        LivePortraitMath.degrees(r.get("yaw")),
        LivePortraitMath.degrees(r.get("roll")),
        r.get("t"),
        r.get("exp"),
        r.get("scale")[0],
        r.get("kp"));
  }

  /** Driving frame {@code bgr} with its {@code face}: {@link #DRIVING_VALUES} values. */
  public float[] driving(Mat bgr, Face face) throws OrtException {
    int c = lp.cropSize();
    CropFrame crop = CropFrame.liveportrait(face, lp.drivingCropScale(), lp.drivingCropShiftY(), c);
    return joyvasa(extract(LivePortraitEngine.crop(bgr, crop, c)));
  }

  /** A JoyVASA-layout frame as keypoint info with canonical keypoints {@code kp}. */
  public static KpInfo fromJoyvasa(float[] f, float[] kp) {
    float[] exp = java.util.Arrays.copyOfRange(f, 0, 63);
    float[] t = {f[64], f[65], f[66]};
    return new KpInfo(f[67], f[68], f[69], t, exp, f[63], kp);
  }

  /** {@code k} in the JoyVASA layout (the inverse of {@link #fromJoyvasa}, kp aside). */
  public static float[] joyvasa(KpInfo k) {
    float[] out = new float[DRIVING_VALUES];
    System.arraycopy(k.exp(), 0, out, 0, 63);
    out[63] = k.scale();
    out[64] = k.t()[0];
    out[65] = k.t()[1];
    out[66] = k.t()[2];
    out[67] = (float) k.pitch();
    out[68] = (float) k.yaw();
    out[69] = (float) k.roll();
    return out;
  }

  @Override
  public void close() throws OrtException {
    model.close();
  }
}
