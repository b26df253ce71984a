package dev.actorfarm.render;

import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.JobPaths;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import dev.actorfarm.runtime.pack.ModelPack;
import java.nio.file.Files;
import java.util.concurrent.CancellationException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A render worker: owns one renderer session and one source-encoder session (one device slot). For
 * a motion window it renders the frames in batches, pastes them back into the portrait, encodes the
 * window as one segment, renames it into the blob store at the path that is a function of (job id,
 * window index), and publishes "segment rendered".
 *
 * <p>Stateless apart from the node's shared {@link SourceCache}: a restarted worker loses nothing.
 * A window whose segment already exists (a redelivery) is reported again without being rendered.
 * Runs on the blocking dispatcher; a failure answers the window with the reason.
 */
public final class RenderWorker extends AbstractBehavior<RenderWorker.Command> {

  /** Messages of the render worker. */
  public sealed interface Command permits RenderWindow {}

  /** Render one motion window (the serialized {@link MotionWindow} record). */
  public record RenderWindow(byte[] motionRecord, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private static final Logger log = LoggerFactory.getLogger(RenderWorker.class);

  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final ModelPack pack;
  private final FarmSettings settings;
  private final JobStates jobs;
  private final SourceCache cache;
  private final String source;
  private final RenderEngine engine;

  /** A worker that opens its own sessions. */
  public static Behavior<Command> create(
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs,
      SourceCache cache) {
    return create(
        kafka, blobs, pack, settings, jobs, RenderEngine.Supply.onDemand(pack, settings, cache));
  }

  /** A worker that takes its sessions, and its node's source states, from {@code engines}. */
  public static Behavior<Command> create(
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs,
      RenderEngine.Supply engines) {
    return Behaviors.setup(
        ctx -> new RenderWorker(ctx, kafka, blobs, pack, settings, jobs, engines));
  }

  private RenderWorker(
      ActorContext<Command> context,
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs,
      RenderEngine.Supply engines)
      throws ai.onnxruntime.OrtException {
    super(context);
    this.kafka = kafka;
    this.blobs = blobs;
    this.pack = pack;
    this.settings = settings;
    this.jobs = jobs;
    this.cache = engines.cache();
    this.engine = engines.get();
    this.source = settings.source("render") + "/" + context.getSelf().path().name();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RenderWindow.class, this::onRenderWindow)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  private Behavior<Command> onRenderWindow(RenderWindow msg) {
    try {
      MotionWindow window = MotionWindow.parseFrom(msg.motionRecord());
      SegmentRendered report = render(window);
      kafka.send(Topics.SEGMENTS, Topic.jobKey(window.getSpec().getJobId()), report).get();
      msg.replyTo().tell(StatusReply.ack());
    } catch (Exception e) {
      msg.replyTo().tell(StatusReply.error(RoleStream.describe(e)));
    }
    return this;
  }

  private Behavior<Command> onStop() throws ai.onnxruntime.OrtException {
    engine.close();
    return this;
  }

  private SegmentRendered render(MotionWindow window) throws Exception {
    JobSpec spec = window.getSpec();
    String jobId = spec.getJobId();
    String path = JobPaths.segment(jobId, window.getWindowIndex());
    long started = System.nanoTime();
    BlobRef segment;
    if (Files.isRegularFile(blobs.resolve(BlobStore.SCHEME + path))) {
      segment = blobs.ref(path);
    } else if (settings.render().simulateOnly()) {
      segment = blobs.write(path, tmp -> simulate(window, tmp));
    } else {
      log.info("Rendering {} window {}", jobId, window.getWindowIndex());
      SourceState state = sourceState(spec);
      long[] timing = new long[3];
      segment = blobs.write(path, tmp -> encode(window, state, tmp, timing));
      FarmMetrics.ENCODE_SECONDS.observe(timing[2] / 1e9);
      FarmMetrics.FRAMES_RENDERED.inc(window.getFrameCount());
      if (window.getFeaturesProducedMs() > 0) {
        FarmMetrics.WINDOW_END_TO_END_SECONDS.observe(
            Math.max(0, System.currentTimeMillis() - window.getFeaturesProducedMs()) / 1e3);
      }
      if (jobs.isStopped(jobId)) {
        // Cancelled while this window rendered: the node's cancel handler may already have
        // removed the job's folder; this segment must not outlive it.
        blobs.deleteTree(JobPaths.folder(jobId));
        throw new CancellationException("job " + jobId + " was stopped");
      }
      log.info(
          "Rendered {} window {} ({} frames) in {} s (render {} ms, paste-back {} ms, encode {}"
              + " ms)",
          jobId,
          window.getWindowIndex(),
          window.getFrameCount(),
          String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - started) / 1e9),
          timing[0] / 1_000_000,
          timing[1] / 1_000_000,
          timing[2] / 1_000_000);
    }
    return SegmentRendered.newBuilder()
        .setHeader(
            Headers.create("SegmentRendered", jobId, source, window.getHeader().getEventId()))
        .setWindowIndex(window.getWindowIndex())
        .setFirstFrame(window.getFirstFrame())
        .setFrameCount(window.getFrameCount())
        .setSegment(segment)
        .setRenderSeconds((System.nanoTime() - started) / 1e9)
        .setWorker(source)
        .build();
  }

  private SourceState sourceState(JobSpec spec) throws Exception {
    boolean cropOnly = spec.getOptions().getCropOnly();
    var box = spec.getOptions().hasFaceBox() ? spec.getOptions().getFaceBox() : null;
    String key = SourceCache.key(spec.getPortrait().getSha256(), box, pack.id(), cropOnly);
    return cache.get(
        key, () -> engine.source(blobs.open(spec.getPortrait()), box, pack.manifest(), cropOnly));
  }

  /**
   * A simulated GPU worker: the configured latency per frame, then a tiny placeholder segment of
   * the window's frame count (encoded once per count and copied: a GPU worker spends next to no
   * CPU).
   */
  private void simulate(MotionWindow window, java.nio.file.Path file) throws java.io.IOException {
    int frames = window.getFrameCount();
    simulateLatency(frames);
    byte[] placeholder;
    synchronized (PLACEHOLDERS) {
      String key = frames + "@" + outputFps(window);
      placeholder = PLACEHOLDERS.get(key);
      if (placeholder == null) {
        java.nio.file.Path tmp =
            java.nio.file.Files.createTempFile("actorfarm-placeholder", ".mp4");
        try (SegmentEncoder encoder =
                new SegmentEncoder(
                    tmp,
                    16,
                    16,
                    outputFps(window),
                    frames,
                    settings.render().videoCodec(),
                    20_000);
            Mat black = new Mat(16, 16, org.bytedeco.opencv.global.opencv_core.CV_8UC3)) {
          black.put(new org.bytedeco.opencv.opencv_core.Scalar(0, 0, 0, 0));
          for (int i = 0; i < frames; i++) {
            encoder.write(black);
          }
        }
        placeholder = java.nio.file.Files.readAllBytes(tmp);
        java.nio.file.Files.delete(tmp);
        PLACEHOLDERS.put(key, placeholder);
      }
    }
    java.nio.file.Files.write(file, placeholder);
  }

  private static final java.util.Map<String, byte[]> PLACEHOLDERS = new java.util.HashMap<>();

  /**
   * The job plan's output frame rate, which the motion entity stamps on every window; a window from
   * before the rate was a fact of the plan was generated at the pack's rate.
   */
  private int outputFps(MotionWindow window) {
    return window.getFps() > 0 ? window.getFps() : pack.manifest().fps();
  }

  private void simulateLatency(int frames) throws java.io.IOException {
    long ms = settings.render().simulatedLatencyPerFrame().toMillis() * frames;
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while rendering");
      }
    }
  }

  /** Renders, pastes back and encodes the window; adds ns spent to {@code timing} (r, p, e). */
  private void encode(
      MotionWindow window, SourceState state, java.nio.file.Path file, long[] timing)
      throws java.io.IOException {
    int frames = window.getFrameCount();
    int m = Tensors.dim(window.getMotion(), 1);
    float[] motion = Tensors.floats(window.getMotion());
    int w = state.outputWidth();
    int h = state.outputHeight();
    long bitrate = (long) (settings.render().bitsPerMegapixel() * (w * (double) h) / 1e6);
    float[] anchor = window.hasAnchor() ? Tensors.floats(window.getAnchor()) : null;
    String jobId = window.getSpec().getJobId();
    try (SegmentEncoder encoder =
        new SegmentEncoder(
            file, w, h, outputFps(window), frames, settings.render().videoCodec(), bitrate)) {
      engine.renderFrames(
          state,
          motion,
          frames,
          m,
          anchor,
          settings.render().batchSize(),
          encoder,
          timing,
          b -> {
            if (jobs.isStopped(jobId)) {
              throw new CancellationException("job " + jobId + " was stopped");
            }
            simulateLatency(b);
          },
          ns -> FarmMetrics.INFERENCE_SECONDS.labelValues("renderer").observe(ns / 1e9));
    }
  }
}
