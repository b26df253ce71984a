package dev.actorfarm.render;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.render.liveportrait.LivePortraitEngine;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.onnx.OnnxSessions;
import dev.actorfarm.runtime.pack.ModelPack;
import dev.actorfarm.runtime.pack.PackManifest;
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

  /** The sessions {@link #renderer} and {@link #sourceEncoder} run on (null: LivePortrait). */
  private final Sessions sessions;

  private RenderEngine(Sessions sessions, PackManifest.Renderer spec) {
    this.sessions = sessions;
    this.renderer = new FrameRenderer(spec, sessions.renderer);
    this.sourceEncoder = sessions.sourceEncoder;
    this.livePortrait = null;
  }

  private RenderEngine(LivePortraitEngine livePortrait) {
    this.sessions = null;
    this.renderer = null;
    this.sourceEncoder = null;
    this.livePortrait = livePortrait;
  }

  /**
   * A pack's renderer and source-encoder sessions, closed when the last engine running on them
   * closes.
   */
  private static final class Sessions {
    final OrtSession renderer;
    final OrtSession sourceEncoder;
    private int users = 1;

    Sessions(OrtSession renderer, OrtSession sourceEncoder) {
      this.renderer = renderer;
      this.sourceEncoder = sourceEncoder;
    }

    synchronized Sessions retain() {
      if (users == 0) {
        throw new IllegalStateException("render sessions already closed");
      }
      users++;
      return this;
    }

    synchronized void release() throws OrtException {
      if (--users == 0) {
        try {
          renderer.close();
        } finally {
          sourceEncoder.close();
        }
      }
    }
  }

  /** Opens the sessions of {@code pack} on the node's execution provider. */
  public static RenderEngine open(ModelPack pack, FarmSettings settings) throws OrtException {
    if (pack.manifest().livePortraitFamily()) {
      try {
        return new RenderEngine(
            new LivePortraitEngine(pack, settings.executionProvider(), settings.intraOpThreads()));
      } catch (IOException e) {
        throw new OrtException(e.getMessage());
      }
    }
    OrtSession renderer =
        OnnxSessions.open(
            pack.file(pack.manifest().renderer().file()),
            settings.executionProvider(),
            settings.intraOpThreads());
    try {
      return new RenderEngine(
          new Sessions(
              renderer,
              OnnxSessions.open(
                  pack.file(pack.manifest().sourceEncoder().file()),
                  settings.executionProvider(),
                  settings.intraOpThreads())),
          pack.manifest().renderer());
    } catch (OrtException | RuntimeException e) {
      renderer.close();
      throw e;
    }
  }

  /**
   * Whether the render workers of a node can run one set of sessions: on the CPU, where a session
   * runs a batch on its caller's thread (one intra-op thread) and ONNX Runtime's {@code Run} is
   * thread-safe, so sharing saves every worker but the first its own open and warm-up. Not for the
   * LivePortrait family, and not on a GPU, where each worker keeps its own sessions.
   */
  static boolean shareable(ModelPack pack, FarmSettings settings) {
    return !pack.manifest().livePortraitFamily()
        && "cpu".equalsIgnoreCase(settings.executionProvider())
        && settings.intraOpThreads() == 1;
  }

  /** Another engine on this one's sessions, with tensors of its own: for another worker. */
  RenderEngine sharingSessions() {
    if (sessions == null) {
      throw new IllegalStateException("a LivePortrait-family engine shares no sessions");
    }
    return new RenderEngine(sessions.retain(), renderer.spec());
  }

  /** The state of the portrait in {@code file} for this engine's renderer (null box: detected). */
  SourceState source(Path file, FaceBox box, PackManifest manifest, boolean cropOnly)
      throws Exception {
    return livePortrait != null
        ? SourceState.buildLivePortrait(Portraits.read(file), box, livePortrait, cropOnly)
        : SourceState.build(Portraits.read(file), box, manifest, sourceEncoder, cropOnly);
  }

  /**
   * Renders one batch of a window's size end to end (of {@code job}, the state of a portrait the
   * node is about to render, else of a grey portrait with a given face box; the pack's rest pose),
   * pastes it back and encodes it into a scratch file, so that the first real window does not pay
   * for ONNX Runtime's first runs, the face detector's, the JIT's first compilation of the
   * paste-back and the encoder's set-up. A failure only costs that time back. Not for the
   * LivePortrait family, whose prepared source takes a real face.
   *
   * @return whether the synthetic batch went through
   */
  public boolean warmUp(ModelPack pack, FarmSettings settings, SourceState job) {
    if (livePortrait != null) {
      return false;
    }
    long started = System.nanoTime();
    Path tmp = null;
    PointerScope scope = new PointerScope(); // frees the warm-up's native buffers at its end
    try {
      SourceState state = job != null ? job : greyPortrait(pack);
      float[] rest = pack.manifest().motionGenerator().restPoseValues();
      // One batch of a window's size: ONNX Runtime plans a run's memory per input shape, so a
      // warm-up at batch 1 left the first window's batches to pay for their own plan.
      int batch = batch(settings.render().batchSize());
      float[] motion = new float[batch * rest.length];
      for (int i = 0; i < batch; i++) {
        System.arraycopy(rest, 0, motion, i * rest.length, rest.length);
      }
      tmp = Files.createTempFile("actorfarm-warm-up", ".mp4");
      try (SegmentEncoder encoder =
          new SegmentEncoder(
              tmp,
              state.outputWidth(),
              state.outputHeight(),
              pack.manifest().fps(),
              batch,
              settings.render().videoCodec(),
              1_000_000)) {
        renderFrames(
            state,
            motion,
            batch,
            rest.length,
            null,
            batch,
            encoder,
            new long[3],
            b -> {},
            ns -> {});
      }
      log.debug("Render sessions warmed up in {} ms", (System.nanoTime() - started) / 1_000_000);
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
   * The state of a grey 512² portrait with a face box where a face would be: what an engine warms
   * up on when it has no job's portrait. Its native buffers belong to the caller's pointer scope.
   */
  private SourceState greyPortrait(ModelPack pack) throws Exception {
    Mat portrait = new Mat(512, 512, opencv_core.CV_8UC3, new Scalar(128, 128, 128, 0));
    return SourceState.build(
        portrait,
        FaceBox.newBuilder().setX(156).setY(140).setWidth(200).setHeight(240).build(),
        pack.manifest(),
        sourceEncoder,
        false);
  }

  /** The frames this engine renders at once when asked for {@code requested}: within the pack's. */
  private int batch(int requested) {
    return livePortrait != null ? 1 : Math.max(1, Math.min(requested, renderer.maxBatch()));
  }

  /** Called before each batch of {@link #renderFrames}, with its frame count. */
  @FunctionalInterface
  interface BeforeBatch {
    void accept(int frames) throws IOException;
  }

  /**
   * Renders {@code frames} frames of {@code motion} ({@code m} values a frame) in batches of up to
   * {@code batchSize} (one for the LivePortrait family), pastes each back into the portrait and
   * writes it to {@code encoder}; adds the nanoseconds spent to {@code timing} (render, paste-back,
   * encode). {@code before} runs ahead of each batch: a cancellation check, a simulated latency;
   * {@code rendered} is told each batch's inference time (a worker's metric, not a warm-up's).
   */
  void renderFrames(
      SourceState state,
      float[] motion,
      int frames,
      int m,
      float[] anchor,
      int batchSize,
      SegmentEncoder encoder,
      long[] timing,
      BeforeBatch before,
      java.util.function.LongConsumer rendered)
      throws IOException {
    int batch = batch(batchSize);
    for (int start = 0; start < frames; start += batch) {
      int b = Math.min(batch, frames - start);
      before.accept(b);
      float[] slice = java.util.Arrays.copyOfRange(motion, start * m, (start + b) * m);
      FrameRenderer.Batch out;
      try {
        long r0 = System.nanoTime();
        out =
            livePortrait != null
                ? new FrameRenderer.Batch(
                    livePortrait.render(state.livePortrait(), slice, anchor), null)
                : renderer.render(state, slice, b, m);
        long ns = System.nanoTime() - r0;
        timing[0] += ns;
        rendered.accept(ns);
      } catch (OrtException e) {
        throw new IOException("renderer failed: " + e.getMessage(), e);
      }
      for (int i = 0; i < b; i++) {
        // Frees the frame's native buffers now rather than when a GC happens to run: a long job
        // would otherwise hold native memory in proportion to the frames rendered.
        PointerScope frameScope = new PointerScope();
        try {
          long p0 = System.nanoTime();
          Mat frame = state.composite(out, i);
          long e0 = System.nanoTime();
          encoder.write(frame);
          timing[1] += e0 - p0;
          timing[2] += System.nanoTime() - e0;
        } finally {
          frameScope.close();
        }
      }
    }
  }

  /**
   * The portrait a node is about to render ({@code farm render}'s job): its file, the hash of its
   * bytes (the job's {@code BlobRef.sha256}), its face box (null: detected) and crop mode.
   */
  public record Next(Path portrait, String sha256, FaceBox box, boolean cropOnly) {}

  /**
   * Where the workers of a node get their engines: those prepared ahead ({@link #prepare}), each
   * taken once (waiting for its warm-up to end), then new ones (a worker restarted after a
   * failure).
   */
  public static final class Supply implements AutoCloseable {
    private final ModelPack pack;
    private final FarmSettings settings;
    private final SourceCache cache;
    private final java.util.Queue<java.util.concurrent.CompletableFuture<RenderEngine>> prepared =
        new java.util.concurrent.ConcurrentLinkedQueue<>();

    private Supply(ModelPack pack, FarmSettings settings, SourceCache cache) {
      this.pack = pack;
      this.settings = settings;
      this.cache = cache;
    }

    /** The node's source states, shared by its workers. */
    SourceCache cache() {
      return cache;
    }

    /** Engines opened by each worker when it starts. */
    public static Supply onDemand(ModelPack pack, FarmSettings settings) {
      return onDemand(pack, settings, new SourceCache(settings.render().sourceCacheSize()));
    }

    /** Engines opened by each worker when it starts, on a cache of the caller's. */
    static Supply onDemand(ModelPack pack, FarmSettings settings, SourceCache cache) {
      return new Supply(pack, settings, cache);
    }

    /**
     * Starts preparing the engines of {@code count} workers, for them to take when they start: the
     * first opens its sessions on a thread of its own and, with {@code next} (or null), builds the
     * state of the portrait the node is about to render into the node's cache and warms up on it,
     * so that its first window finds the face found and the source encoded. The others share its
     * sessions where they can ({@link #shareable}), else each opens and warms up its own.
     */
    public static Supply prepare(ModelPack pack, FarmSettings settings, int count, Next next) {
      Supply supply =
          new Supply(pack, settings, new SourceCache(settings.render().sourceCacheSize()));
      if (settings.render().simulateOnly() || count < 1) {
        return supply;
      }
      // The first engine builds the next job's state and warms up on it. On the CPU the other
      // workers run its sessions, ready when it is; elsewhere each opens its own and warms up on
      // a grey portrait meanwhile rather than wait for the first.
      var first = supply.prepareOne(next);
      supply.prepared.add(first);
      boolean share = shareable(pack, settings);
      for (int i = 1; i < count; i++) {
        supply.prepared.add(
            share ? first.thenApply(RenderEngine::sharingSessions) : supply.prepareOne(null));
      }
      return supply;
    }

    /**
     * Opens an engine on a thread of its own, builds {@code next}'s state (or null) and warms up.
     */
    private java.util.concurrent.CompletableFuture<RenderEngine> prepareOne(Next next) {
      return java.util.concurrent.CompletableFuture.supplyAsync(
          () -> {
            try {
              long t0 = System.nanoTime();
              RenderEngine engine = open(pack, settings);
              long t1 = System.nanoTime();
              SourceState state = prebuild(engine, next);
              long t2 = System.nanoTime();
              engine.warmUp(pack, settings, state);
              log.info(
                  "Render engine ready in {} ms: sessions opened in {} ms, the next job's"
                      + " portrait prepared in {} ms, warmed up in {} ms",
                  (System.nanoTime() - t0) / 1_000_000,
                  (t1 - t0) / 1_000_000,
                  (t2 - t1) / 1_000_000,
                  (System.nanoTime() - t2) / 1_000_000);
              return engine;
            } catch (OrtException e) {
              throw new java.util.concurrent.CompletionException(e);
            }
          },
          r -> new Thread(r, "render-warm-up").start());
    }

    /** The state of {@code next}'s portrait, built once into the cache; null when it fails. */
    private SourceState prebuild(RenderEngine engine, Next next) {
      if (next == null) {
        return null;
      }
      try {
        return cache.get(
            SourceCache.key(next.sha256(), next.box(), pack.id(), next.cropOnly()),
            () -> engine.source(next.portrait(), next.box(), pack.manifest(), next.cropOnly()));
      } catch (Exception e) {
        log.warn("The next job's portrait could not be prepared ahead: {}", e.toString());
        return null;
      }
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
      try {
        renderer.close();
      } finally {
        sessions.release();
      }
    }
  }
}
