package dev.actorfarm.bench;

import dev.actorfarm.audio.AudioDecoder;
import dev.actorfarm.audio.AudioEncoderStage;
import dev.actorfarm.audio.FeatureWindower;
import dev.actorfarm.motion.MotionGeneratorStage;
import dev.actorfarm.muxer.SegmentMuxer;
import dev.actorfarm.pack.ReferencePack;
import dev.actorfarm.render.FrameRenderer;
import dev.actorfarm.render.Portraits;
import dev.actorfarm.render.SegmentEncoder;
import dev.actorfarm.render.SourceState;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The cost of each stage in isolation, on the example's inputs, with the farm's own classes and
 * settings (CPU execution provider, one ORT thread per session): what a window of work costs when
 * nothing else runs.
 */
final class StageCosts {

  /** One measured stage: {@code millis} per {@code unit}. */
  record Cost(String stage, String setting, double millis, String unit) {}

  private final List<Cost> costs = new ArrayList<>();
  private final Map<String, Double> byKey = new LinkedHashMap<>();

  List<Cost> costs() {
    return costs;
  }

  /** A measured cost by {@code stage|setting}. */
  double get(String stage, String setting) {
    Double v = byKey.get(stage + "|" + setting);
    if (v == null) {
      throw new IllegalStateException("not measured: " + stage + " " + setting);
    }
    return v;
  }

  private void add(String stage, String setting, double millis, String unit) {
    costs.add(new Cost(stage, setting, millis, unit));
    byKey.put(stage + "|" + setting, millis);
    System.out.printf(
        java.util.Locale.ROOT, "  %-22s %-28s %9.3f ms per %s%n", stage, setting, millis, unit);
  }

  static StageCosts measure(
      FarmSettings settings, ModelPack pack, Path portrait, Path narration, Path work)
      throws Exception {
    StageCosts c = new StageCosts();
    c.audio(pack, narration);
    c.motion(pack);
    for (int crop : new int[] {256, 512}) {
      ModelPack p = crop == pack.manifest().renderer().width() ? pack : variant(work, crop);
      c.render(settings, p, portrait, crop, work, narration);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    for (int threads = 1; threads <= cores; threads *= 2) {
      c.window(settings, pack, portrait, work, threads);
    }
    return c;
  }

  private static ModelPack variant(Path work, int crop) throws Exception {
    Path dir = work.resolve("packs/reference-crop" + crop);
    if (!Files.isRegularFile(dir.resolve(ModelPack.MANIFEST))) {
      ReferencePack.generate(dir, crop);
    }
    return ModelPack.load(dir);
  }

  private void audio(ModelPack pack, Path narration) throws Exception {
    var enc = pack.manifest().audioEncoder();
    int w = pack.manifest().motionGenerator().windowFrames();
    try (AudioEncoderStage encoder = new AudioEncoderStage(pack, "cpu", 1)) {
      double best = Double.MAX_VALUE;
      double seconds = 0;
      for (int run = 0; run < 3; run++) {
        long t0 = System.nanoTime();
        FeatureWindower windower = encoder.windower(w, (index, features) -> {});
        long total = AudioDecoder.decode(narration, enc.sampleRate(), windower::accept);
        int frames = (int) Math.round((double) total / enc.hopSamples());
        windower.finish((frames + w - 1) / w);
        seconds = (double) total / enc.sampleRate();
        best = Math.min(best, (System.nanoTime() - t0) / 1e6);
      }
      add("audio decode + encode", "16 kHz, log-mel", best / seconds, "audio second");
    }
  }

  private void motion(ModelPack pack) throws Exception {
    try (MotionGeneratorStage g = new MotionGeneratorStage(pack, "cpu", 1)) {
      var spec = g.spec();
      int w = spec.windowFrames();
      int m = spec.motionDim();
      Random rnd = new Random(1);
      float[] features = new float[w * pack.manifest().audioEncoder().featureDim()];
      for (int i = 0; i < features.length; i++) {
        features[i] = (float) rnd.nextGaussian() - 5f;
      }
      float[] noise = new float[w * m];
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) rnd.nextGaussian();
      }
      float[] context = g.initialContext();
      float[] controls = {1f, 1f};
      for (int i = 0; i < 20; i++) {
        g.generate(features, context, noise, controls);
      }
      int n = 200;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        g.generate(features, context, noise, controls);
      }
      add("motion generation", w + "-frame window", (System.nanoTime() - t0) / 1e6 / n, "window");
    }
  }

  /**
   * A render worker's whole per-frame work (render at batch 4, paste-back, encode into 50-frame
   * segments) in {@code threads} threads at once, each with its own sessions: machine-wide
   * milliseconds per frame. With as many threads as cores this is the best this machine can do.
   */
  private void window(FarmSettings settings, ModelPack pack, Path portrait, Path work, int threads)
      throws Exception {
    var spec = pack.manifest();
    int m = spec.motionGenerator().motionDim();
    int framesEach = 200;
    FarmSettings.Render r = settings.render();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads + 1);
    List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      done.add(
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try (FrameRenderer renderer = new FrameRenderer(pack, "cpu", 1);
                    var sourceEncoder =
                        OnnxSessions.open(pack.file(spec.sourceEncoder().file()), "cpu", 1)) {
                  SourceState state =
                      SourceState.build(Portraits.read(portrait), null, spec, sourceEncoder, false);
                  float[] motion = new float[4 * m];
                  int w = state.outputWidth();
                  int h = state.outputHeight();
                  long bitrate = (long) (r.bitsPerMegapixel() * (w * (double) h) / 1e6);
                  Path dir = work.resolve("stage-window-" + id);
                  Files.createDirectories(dir);
                  // warm-up window, then the timed ones
                  encodeFrames(renderer, state, motion, m, dir, spec.fps(), r, bitrate, 50);
                  start.await();
                  encodeFrames(renderer, state, motion, m, dir, spec.fps(), r, bitrate, framesEach);
                } catch (Exception e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              },
              pool));
    }
    double ms;
    try {
      start.await();
      long t0 = System.nanoTime();
      java.util.concurrent.CompletableFuture.allOf(
              done.toArray(java.util.concurrent.CompletableFuture[]::new))
          .join();
      ms = (System.nanoTime() - t0) / 1e6 / (framesEach * threads);
    } finally {
      pool.shutdown();
    }
    add(
        "render worker, whole frame",
        threads + (threads == 1 ? " worker" : " workers in parallel"),
        ms,
        "frame (machine-wide)");
  }

  private static void encodeFrames(
      FrameRenderer renderer,
      SourceState state,
      float[] motion,
      int m,
      Path dir,
      int fps,
      FarmSettings.Render r,
      long bitrate,
      int frames)
      throws Exception {
    for (int start = 0; start < frames; start += 50) {
      int n = Math.min(50, frames - start);
      try (SegmentEncoder enc =
          new SegmentEncoder(
              dir.resolve("w.mp4"),
              state.outputWidth(),
              state.outputHeight(),
              fps,
              n,
              r.videoCodec(),
              bitrate)) {
        for (int f = 0; f < n; f += 4) {
          int b = Math.min(4, n - f);
          for (int i = 0; i < b * m; i++) {
            motion[i] = (float) (0.05 * Math.sin(start + f + i));
          }
          FrameRenderer.Batch rendered = renderer.render(state, motion, b, m);
          for (int i = 0; i < b; i++) {
            org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
            try {
              enc.write(state.composite(rendered, i));
            } finally {
              scope.close();
            }
          }
        }
      }
    }
  }

  /** One paste-back as the render worker does it: every native buffer freed at once. */
  private static void compositeOnce(SourceState state, FrameRenderer.Batch rendered, int b) {
    org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
    try {
      state.composite(rendered, b);
    } finally {
      scope.close();
    }
  }

  private void render(
      FarmSettings settings, ModelPack pack, Path portrait, int crop, Path work, Path narration)
      throws Exception {
    var spec = pack.manifest();
    int m = spec.motionGenerator().motionDim();
    try (FrameRenderer renderer = new FrameRenderer(pack, "cpu", 1);
        var sourceEncoder = OnnxSessions.open(pack.file(spec.sourceEncoder().file()), "cpu", 1)) {
      SourceState state =
          SourceState.build(Portraits.read(portrait), null, spec, sourceEncoder, false);
      float[] motion = new float[8 * m];
      Random rnd = new Random(2);
      for (int i = 0; i < motion.length; i++) {
        motion[i] = (float) (0.1 * rnd.nextGaussian());
      }
      FrameRenderer.Batch rendered = null;
      for (int batch : new int[] {1, 4, 8}) {
        int frames = 48;
        for (int i = 0; i < 3; i++) {
          renderer.render(state, motion, batch, m);
        }
        long t0 = System.nanoTime();
        for (int f = 0; f < frames; f += batch) {
          rendered = renderer.render(state, motion, batch, m);
        }
        add(
            "render (GridSample)",
            crop + "×" + crop + ", batch " + batch,
            (System.nanoTime() - t0) / 1e6 / frames,
            "frame");
      }
      int w = state.outputWidth();
      int h = state.outputHeight();
      // Paste-back of the rendered crop into the portrait.
      int frames = 50;
      for (int f = 0; f < 200; f++) {
        compositeOnce(state, rendered, f % 8);
      }
      int timed = 400;
      long t0 = System.nanoTime();
      for (int f = 0; f < timed; f++) {
        compositeOnce(state, rendered, f % 8);
      }
      add(
          "paste-back",
          crop + " crop into " + w + "×" + h,
          (System.nanoTime() - t0) / 1e6 / timed,
          "frame");
      List<Mat> composited = new ArrayList<>();
      for (int f = 0; f < frames; f++) {
        composited.add(state.composite(rendered, f % 8));
      }
      if (crop != 256) {
        return;
      }
      // Segment encode: one 50-frame window, the farm's codec and bitrate.
      FarmSettings.Render r = settings.render();
      long bitrate = (long) (r.bitsPerMegapixel() * (w * (double) h) / 1e6);
      Path segments = work.resolve("stage-segments");
      Files.createDirectories(segments);
      double best = Double.MAX_VALUE;
      List<SegmentMuxer.Segment> list = new ArrayList<>();
      for (int s = 0; s < 10; s++) {
        Path file = segments.resolve(String.format("%06d.mp4", s));
        long e0 = System.nanoTime();
        try (SegmentEncoder enc =
            new SegmentEncoder(file, w, h, spec.fps(), frames, r.videoCodec(), bitrate)) {
          for (Mat frame : composited) {
            enc.write(frame);
          }
        }
        best = Math.min(best, (System.nanoTime() - e0) / 1e6 / frames);
        list.add(new SegmentMuxer.Segment(file, s * frames, frames));
      }
      add("segment encode", r.videoCodec() + ", " + w + "×" + h, best, "frame");
      // Mux: ten 2 s segments joined by stream copy with the narration encoded to AAC.
      FarmSettings.Muxer mx = settings.muxer();
      double bestMux = Double.MAX_VALUE;
      for (int run = 0; run < 3; run++) {
        long m0 = System.nanoTime();
        SegmentMuxer.mux(
            list,
            narration,
            segments.resolve("muxed.mp4"),
            spec.fps(),
            mx.audioSampleRate(),
            mx.audioBitrate());
        bestMux = Math.min(bestMux, (System.nanoTime() - m0) / 1e6 / list.size());
      }
      add("mux", "stream copy + AAC", bestMux, "segment (2 s)");
      composited.forEach(Mat::close);
    }
  }
}
