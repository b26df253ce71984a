package dev.actorfarm.render;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.liveportrait.LivePortraitEngine;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX Runtime sessions of one render worker (one device slot): the renderer and the source
 * encoder of a pack, or a LivePortrait-family engine. Opened and warmed up ahead of the worker that
 * uses it when the node can ({@link RenderRole#prepare}): a restarted {@code farm render} opens its
 * sessions while its broker starts, rather than in front of its first window.
 */
public final class RenderEngine implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RenderEngine.class);

  final FrameRenderer renderer;
  final OrtSession sourceEncoder;
  final LivePortraitEngine livePortrait;

  private RenderEngine(
      FrameRenderer renderer, OrtSession sourceEncoder, LivePortraitEngine livePortrait) {
    this.renderer = renderer;
    this.sourceEncoder = sourceEncoder;
    this.livePortrait = livePortrait;
  }

  /** Opens the sessions of {@code pack} on the node's execution provider. */
  public static RenderEngine open(ModelPack pack, FarmSettings settings) throws OrtException {
    if (pack.manifest().livePortraitFamily()) {
      try {
        return new RenderEngine(
            null,
            null,
            new LivePortraitEngine(pack, settings.executionProvider(), settings.intraOpThreads()));
      } catch (IOException e) {
        throw new OrtException(e.getMessage());
      }
    }
    FrameRenderer renderer =
        new FrameRenderer(pack, settings.executionProvider(), settings.intraOpThreads());
    try {
      return new RenderEngine(
          renderer,
          OnnxSessions.open(
              pack.file(pack.manifest().sourceEncoder().file()),
              settings.executionProvider(),
              settings.intraOpThreads()),
          null);
    } catch (OrtException | RuntimeException e) {
      renderer.close();
      throw e;
    }
  }

  /**
   * Renders one synthetic batch end to end (a grey portrait with a given face box, the pack's rest
   * pose), pastes it back and encodes it into a scratch file, so that the first real window does
   * not pay for ONNX Runtime's first runs, the face detector's, the JIT's first compilation of the
   * paste-back and the encoder's set-up. A failure only costs that time back. Not for the
   * LivePortrait family, whose prepared source takes a real face.
   *
   * @return whether the synthetic batch went through
   */
  public boolean warmUp(ModelPack pack, FarmSettings settings) {
    if (livePortrait != null) {
      return false;
    }
    long started = System.nanoTime();
    Path tmp = null;
    PointerScope scope = new PointerScope(); // frees the warm-up's native buffers at its end
    try (Mat portrait = new Mat(512, 512, opencv_core.CV_8UC3, new Scalar(128, 128, 128, 0))) {
      SourceState state =
          SourceState.build(
              portrait,
              FaceBox.newBuilder().setX(156).setY(140).setWidth(200).setHeight(240).build(),
              pack.manifest(),
              sourceEncoder,
              false);
      float[] rest = pack.manifest().motionGenerator().restPoseValues();
      // One frame: the first-run costs are per session and per code path, not per frame.
      int frames = 1;
      float[] motion = new float[frames * rest.length];
      for (int f = 0; f < frames; f++) {
        System.arraycopy(rest, 0, motion, f * rest.length, rest.length);
      }
      FrameRenderer.Batch batch = renderer.render(state, motion, frames, rest.length);
      tmp = Files.createTempFile("actorfarm-warm-up", ".mp4");
      try (SegmentEncoder encoder =
          new SegmentEncoder(
              tmp,
              state.outputWidth(),
              state.outputHeight(),
              pack.manifest().fps(),
              frames,
              settings.render().videoCodec(),
              1_000_000)) {
        for (int i = 0; i < frames; i++) {
          encoder.write(state.composite(batch, i));
        }
      }
      log.info("Render sessions warmed up in {} ms", (System.nanoTime() - started) / 1_000_000);
      return true;
    } catch (Exception | LinkageError e) {
      log.warn(
          "Render sessions could not warm up (the first window pays for it): {}", e.toString());
      return false;
    } finally {
      scope.close();
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          log.debug("Cannot remove {}", tmp, e);
        }
      }
    }
  }

  /**
   * Where the workers of a node get their engines: those prepared ahead ({@link #prepare}), each
   * taken once (waiting for its warm-up to end), then new ones (a worker restarted after a
   * failure).
   */
  public static final class Supply implements AutoCloseable {
    private final ModelPack pack;
    private final FarmSettings settings;
    private final java.util.Queue<java.util.concurrent.CompletableFuture<RenderEngine>> prepared =
        new java.util.concurrent.ConcurrentLinkedQueue<>();

    private Supply(ModelPack pack, FarmSettings settings) {
      this.pack = pack;
      this.settings = settings;
    }

    /** Engines opened by each worker when it starts. */
    public static Supply onDemand(ModelPack pack, FarmSettings settings) {
      return new Supply(pack, settings);
    }

    /**
     * Starts opening and warming up {@code count} engines, each on a thread of its own, for the
     * workers to take when they start.
     */
    public static Supply prepare(ModelPack pack, FarmSettings settings, int count) {
      Supply supply = new Supply(pack, settings);
      if (settings.render().simulateOnly()) {
        return supply;
      }
      for (int i = 0; i < count; i++) {
        supply.prepared.add(
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                  try {
                    RenderEngine engine = open(pack, settings);
                    engine.warmUp(pack, settings);
                    return engine;
                  } catch (OrtException e) {
                    throw new java.util.concurrent.CompletionException(e);
                  }
                },
                r -> new Thread(r, "render-warm-up").start()));
      }
      return supply;
    }

    /** An engine prepared ahead if one is left, else a new one. */
    RenderEngine get() throws OrtException {
      var next = prepared.poll();
      if (next != null) {
        try {
          return next.join();
        } catch (java.util.concurrent.CompletionException e) {
          log.warn(
              "A render engine prepared ahead failed to open; opening another: {}", e.getCause());
        }
      }
      return open(pack, settings);
    }

    /** Closes the engines prepared ahead that no worker took (the node stopped first). */
    @Override
    public void close() {
      for (var next = prepared.poll(); next != null; next = prepared.poll()) {
        next.thenAccept(
            engine -> {
              try {
                engine.close();
              } catch (OrtException e) {
                log.debug("Cannot close a render engine", e);
              }
            });
      }
    }
  }

  @Override
  public void close() throws OrtException {
    if (livePortrait != null) {
      livePortrait.close();
    } else {
      renderer.close();
      sourceEncoder.close();
    }
  }
}
