package dev.actorfarm.bench;

import dev.actorfarm.audio.AudioDecoder;
import dev.actorfarm.audio.AudioEncoderStage;
import dev.actorfarm.audio.FeatureWindower;
import dev.actorfarm.motion.CounterRng;
import dev.actorfarm.motion.MotionGeneratorStage;
import dev.actorfarm.muxer.SegmentMuxer;
import dev.actorfarm.render.FrameRenderer;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.SegmentEncoder;
import dev.actorfarm.render.SourceState;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The way the model repositories' inference scripts run their models (LivePortrait, JoyVASA,
 * Hallo): one process, one loop, the whole input in memory, stage after stage: decode all the
 * audio, compute all features, generate all motion, render every frame into a list, then encode the
 * list and add the sound track. Written with the same pack, the same classes and the same settings
 * as the farm, so the comparison measures the orchestration, not the models.
 *
 * <p>Usage: {@code NaivePipeline PACK_DIR PORTRAIT AUDIO OUT}
 */
public final class NaivePipeline {

  private NaivePipeline() {}

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    Path portrait = Path.of(args[1]);
    Path audio = Path.of(args[2]);
    Path out = Path.of(args[3]);
    FarmSettings settings = FarmSettings.create(FarmConfig.load());
    long started = System.nanoTime();
    var enc = pack.manifest().audioEncoder();
    var gen = pack.manifest().motionGenerator();
    int w = gen.windowFrames();
    int m = gen.motionDim();
    int p = gen.contextFrames();
    int fps = pack.manifest().fps();

    // 1. The whole narration, decoded into memory.
    float[][] pcm = {new float[1 << 20]};
    int[] n = {0};
    AudioDecoder.decode(
        audio,
        enc.sampleRate(),
        samples -> {
          int k = samples.remaining();
          if (n[0] + k > pcm[0].length) {
            pcm[0] = Arrays.copyOf(pcm[0], Math.max(pcm[0].length * 2, n[0] + k));
          }
          samples.get(pcm[0], n[0], k);
          n[0] += k;
        });
    int totalFrames = (int) Math.round((double) n[0] / enc.hopSamples());
    int windows = (totalFrames + w - 1) / w;

    // 2. Every window's features.
    List<float[]> features = new ArrayList<>();
    try (AudioEncoderStage encoder = new AudioEncoderStage(pack, "cpu", 1)) {
      FeatureWindower windower = encoder.windower(w, (index, f) -> features.add(f));
      windower.accept(java.nio.FloatBuffer.wrap(pcm[0], 0, n[0]));
      windower.finish(windows);
    }

    // 3. All the motion, window after window.
    float[] motion = new float[windows * w * m];
    try (MotionGeneratorStage generator = new MotionGeneratorStage(pack, "cpu", 1)) {
      float[] context = generator.initialContext();
      float[] controls = {1f, 1f};
      for (int i = 0; i < windows; i++) {
        float[] noise = CounterRng.normals(0, i, w * m);
        float[] out1 = generator.generate(features.get(i), context, noise, controls);
        System.arraycopy(out1, 0, motion, i * w * m, w * m);
        context = Arrays.copyOfRange(out1, (w - p) * m, w * m);
      }
    }

    // 4. Every frame rendered and pasted back, kept in a list.
    List<byte[]> frames = new ArrayList<>(totalFrames);
    int width;
    int height;
    try (FrameRenderer renderer = new FrameRenderer(pack, "cpu", 1);
        var sourceEncoder =
            OnnxSessions.open(pack.file(pack.manifest().sourceEncoder().file()), "cpu", 1)) {
      SourceState state =
          SourceState.build(Portraits.read(portrait), null, pack.manifest(), sourceEncoder, false);
      width = state.outputWidth();
      height = state.outputHeight();
      int batch = Math.min(settings.render().batchSize(), renderer.maxBatch());
      for (int f = 0; f < totalFrames; f += batch) {
        int b = Math.min(batch, totalFrames - f);
        FrameRenderer.Batch rendered =
            renderer.render(state, Arrays.copyOfRange(motion, f * m, (f + b) * m), b, m);
        for (int i = 0; i < b; i++) {
          try (Mat frame = state.composite(rendered, i)) {
            byte[] bgr = new byte[width * height * 3];
            frame.data().get(bgr);
            frames.add(bgr);
          }
        }
      }
    }

    // 5. Encode the list, then add the sound track.
    Path video = Files.createTempFile(out.toAbsolutePath().getParent(), ".naive-", ".mp4");
    long bitrate = (long) (settings.render().bitsPerMegapixel() * (width * (double) height) / 1e6);
    try (SegmentEncoder encoder =
        new SegmentEncoder(
            video, width, height, fps, totalFrames, settings.render().videoCodec(), bitrate)) {
      for (byte[] bgr : frames) {
        try (Mat frame = new Mat(height, width, opencv_core.CV_8UC3, new BytePointer(bgr))) {
          encoder.write(frame);
        }
      }
    }
    SegmentMuxer.mux(
        List.of(new SegmentMuxer.Segment(video, 0, totalFrames)),
        audio,
        out,
        fps,
        settings.muxer().audioSampleRate(),
        settings.muxer().audioBitrate());
    Files.delete(video);
    System.out.printf(
        java.util.Locale.ROOT,
        "Naive: %d frames in %.1f s%n",
        totalFrames,
        (System.nanoTime() - started) / 1e9);
  }
}
