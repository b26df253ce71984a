package dev.actorfarm.motion;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.MotionCheckpoint;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.CborSerializable;
import dev.actorfarm.runtime.StashUntilLoaded;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.JobPaths;
import dev.actorfarm.runtime.direction.ControlTrack;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.kafka.TopicReader;
import dev.actorfarm.runtime.motion.FrameRates;
import dev.actorfarm.runtime.pack.PackManifest;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The motion entity of one job (entity id = job id), sharded over the motion nodes. It takes the
 * job's feature windows strictly in order, runs the autoregressive motion generator on each with
 * the last P motion frames as context and noise drawn from the counter-based RNG at (seed, window),
 * parks the motion window in the blob store ({@link JobPaths#motion}) and publishes a checkpoint
 * (context, next window, RNG position, windows admitted) before it acknowledges the window.
 *
 * <p>Admission: generated windows enter {@code farm.motion-windows} only within the credit that the
 * {@link RenderScheduler} grants the job: at most that many of its windows are admitted and not yet
 * rendered (their segments are not in the blob store) at once. So generation, which is cheap, never
 * floods the render topic, and a job submitted later is queued behind a few windows, not behind
 * another job's hour. The entity reports its windows (generated, admitted, in render) to the
 * scheduler on every change and every second, and stops once all are rendered.
 *
 * <p>State: the next window index, the context and the windows admitted. Before it takes any
 * window, a starting entity (a new job, or one that moved after a crash or a rebalance, or one the
 * scheduler woke) restores them from the job's latest checkpoint in the compacted {@code
 * farm.motion-checkpoints}, stashing messages meanwhile. A window below the next index is a
 * redelivery and is acknowledged without effect; one above it (retries after a restore reorder
 * windows) is held, unanswered, until its turn comes. A window of a cancelled job is acknowledged
 * without effect, the checkpoint is removed and the entity stops. Runs on the blocking dispatcher.
 */
public final class MotionSession extends AbstractBehavior<MotionSession.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "motion-session");

  /** Messages of the motion entity. */
  public sealed interface Command extends CborSerializable
      permits GenerateWindow, Grant, Published, Released, RenderTick, Restored {}

  /**
   * The scheduler's grant: the job may have this many windows admitted and not yet rendered. Sent
   * through sharding, so it also starts the entity of a job whose entity is gone.
   */
  public record Grant(int credit) implements Command {}

  private record Released(int windowIndex, Throwable failure) implements Command {}

  private record RenderTick() implements Command {}

  /** Generate the motion of one feature window (the serialized {@link AudioFeatures} record). */
  public record GenerateWindow(
      String jobId, int windowIndex, byte[] featuresRecord, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private record Published(int windowIndex, Throwable failure, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private record Restored(MotionCheckpoint checkpoint, long startedNanos, Throwable failure)
      implements Command {}

  /** What an entity needs besides its job id; shared by all entities of a node. */
  public record Deps(
      MotionGeneratorStage generator,
      FarmKafka kafka,
      JobStates jobs,
      String source,
      java.time.Duration simulatedLatency,
      BlobStore blobs,
      ActorRef<RenderScheduler.Command> scheduler,
      java.time.Duration tick) {}

  private static final Logger log = LoggerFactory.getLogger(MotionSession.class);

  /** Windows held because they arrived before their turn; more are refused with the reason. */
  private static final int MAX_AHEAD = 256;

  /** Windows that may wait while the checkpoint is read: the consumer's in-flight bound. */
  private static final int STASH_CAPACITY = 1024;

  private final String jobId;
  private final Deps deps;
  private final MotionGeneratorStage generator;
  private final FarmKafka kafka;
  private final String source;
  private int nextWindow;
  private float[] context;

  /** The last motion frame generated at the pack's rate (resampling to the output rate). */
  private float[] lastFrame;

  /** A driving-video job's retargeting state, restored from the checkpoint when it has one. */
  private float[] drivingState;

  private DrivingRetargeter driving;

  /** A driving-video job through a LivePortrait-family pack's own motion extractor. */
  private LivePortraitDriving livePortraitDriving;

  /**
   * The motion frame the renderer reads the JoyVASA layout (LivePortrait family) relative to: the
   * pack's rest pose for generated motion; kept in the checkpoint and sent with every window.
   */
  private float[] anchor;

  /** The job's direction as control values over time; a pure function, rebuilt on restore. */
  private ControlTrack track;

  /** The direction's host edits of JoyVASA-layout motion (LivePortrait family). */
  private JoyvasaDirection joyvasaDirection;

  /** The controls of the last frame generated (in the checkpoint, for the record). */
  private float[] lastControls;

  private long restoredAtNanos;
  private boolean firstAfterRestore;
  private final java.util.TreeMap<Integer, GenerateWindow> ahead = new java.util.TreeMap<>();

  /** Windows [0, released) were handed to the producer for farm.motion-windows. */
  private int released;

  /** Windows [0, releasedAcked) are in farm.motion-windows (what a checkpoint records). */
  private int releasedAcked;

  private final java.util.TreeSet<Integer> ackedAhead = new java.util.TreeSet<>();

  /** Admitted windows whose segment is not in the blob store yet. */
  private final java.util.TreeSet<Integer> inRender = new java.util.TreeSet<>();

  /** True once the job's last window was generated. */
  private boolean lastGenerated;

  private int credit;
  private RenderScheduler.Report reported;
  private long reportedAtNanos;

  /** The entity of {@code jobId}: restores its checkpoint, then generates windows. */
  public static Behavior<Command> create(String jobId, Deps deps) {
    long started = System.nanoTime();
    return StashUntilLoaded.create(
        Command.class,
        Restored.class,
        STASH_CAPACITY,
        ctx ->
            CompletableFuture.supplyAsync(
                () ->
                    new Restored(
                        latestCheckpoint(deps.kafka().bootstrapServers(), jobId).orElse(null),
                        started,
                        null),
                ctx.getExecutionContext()),
        error -> new Restored(null, started, error),
        (ctx, r) -> {
          if (r.failure() != null) {
            // Unanswered windows time out and are retried as an infrastructure failure by a
            // fresh entity.
            log.warn(
                "Motion entity {} cannot read its checkpoint: {}",
                jobId,
                RoleStream.describe(r.failure()));
            return Behaviors.stopped();
          }
          return Behaviors.withTimers(
              timers -> {
                timers.startTimerWithFixedDelay(new RenderTick(), deps.tick());
                return new MotionSession(ctx, jobId, deps, r);
              });
        });
  }

  /** The job's latest checkpoint, if it has one that was not removed. */
  static java.util.Optional<MotionCheckpoint> latestCheckpoint(String bootstrap, String jobId) {
    var records = TopicReader.readKey(bootstrap, Topics.MOTION_CHECKPOINTS.name(), jobId);
    if (records.isEmpty() || records.get(records.size() - 1).value() == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(
          Topics.MOTION_CHECKPOINTS.parse(records.get(records.size() - 1).value()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("checkpoint of job " + jobId + " is undecodable", e);
    }
  }

  private MotionSession(ActorContext<Command> context, String jobId, Deps deps, Restored r) {
    super(context);
    this.jobId = jobId;
    this.deps = deps;
    this.generator = deps.generator();
    this.kafka = deps.kafka();
    this.source = deps.source();
    this.context = generator.initialContext();
    double ms = (System.nanoTime() - r.startedNanos()) / 1e6;
    MotionCheckpoint cp = r.checkpoint();
    if (cp != null) {
      int p = generator.spec().contextFrames();
      int m = generator.spec().motionDim();
      float[] restored = Tensors.floats(cp.getContext());
      if (restored.length != p * m || cp.getRngCounter() != cp.getNextWindow()) {
        log.warn(
            "Motion entity {}: checkpoint does not fit pack {} (context {} values); starting over",
            jobId,
            generator.spec().file(),
            restored.length);
      } else {
        this.context = restored;
        this.nextWindow = cp.getNextWindow();
        if (cp.hasLastFrame()) {
          this.lastFrame = Tensors.floats(cp.getLastFrame());
        }
        if (cp.hasDrivingState()) {
          this.drivingState = Tensors.floats(cp.getDrivingState());
        }
        if (cp.hasAnchor()) {
          this.anchor = Tensors.floats(cp.getAnchor());
        }
        this.released = Math.min(cp.getReleased(), nextWindow);
        this.releasedAcked = released;
        this.lastGenerated = cp.getCompleted();
        for (int w = 0; w < released; w++) {
          if (!segmentExists(w)) {
            inRender.add(w);
          }
        }
        this.firstAfterRestore = true;
        this.restoredAtNanos = r.startedNanos();
      }
    }
    log.info(
        "Motion entity {} started at window {}, {} admitted, {} in render ({}; checkpoint read in"
            + " {} ms)",
        jobId,
        nextWindow,
        released,
        inRender.size(),
        nextWindow > 0 ? "restored from its checkpoint" : "fresh",
        String.format(java.util.Locale.ROOT, "%.0f", ms));
    report(true);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GenerateWindow.class, this::onGenerateWindow)
        .onMessage(Published.class, this::onPublished)
        .onMessage(Grant.class, this::onGrant)
        .onMessage(Released.class, this::onReleased)
        .onMessage(RenderTick.class, t -> onRenderTick())
        .build();
  }

  private Behavior<Command> onGenerateWindow(GenerateWindow msg) {
    if (deps.jobs().isStopped(jobId)) {
      msg.replyTo().tell(StatusReply.ack());
      return deps.jobs().isCancelled(jobId) ? removeCheckpointAndStop() : this;
    }
    if (msg.windowIndex() < nextWindow) {
      msg.replyTo().tell(StatusReply.ack());
      return this;
    }
    if (msg.windowIndex() > nextWindow && ahead.size() < MAX_AHEAD) {
      // Retries after a restore or a timeout can reorder windows: hold this one until its turn
      // (a copy already held is superseded; its ask times out and is retried as a duplicate).
      ahead.put(msg.windowIndex(), msg);
      return this;
    }
    if (msg.windowIndex() > nextWindow) {
      msg.replyTo()
          .tell(
              StatusReply.error(
                  "motion window "
                      + msg.windowIndex()
                      + " of job "
                      + jobId
                      + " arrived before window "
                      + nextWindow));
      return this;
    }
    try {
      AudioFeatures features = AudioFeatures.parseFrom(msg.featuresRecord());
      CompletableFuture<?> published = generate(features);
      getContext()
          .pipeToSelf(
              published, (ok, error) -> new Published(msg.windowIndex(), error, msg.replyTo()));
      GenerateWindow next = ahead.remove(nextWindow);
      if (next != null) {
        getContext().getSelf().tell(next);
      }
    } catch (InvalidProtocolBufferException | ai.onnxruntime.OrtException | RuntimeException e) {
      msg.replyTo().tell(StatusReply.error(RoleStream.describe(e)));
    }
    return this;
  }

  private Behavior<Command> onPublished(Published msg) {
    if (msg.failure() != null) {
      // The window's effect is unknown: drop the state so the redelivered window starts over.
      msg.replyTo().tell(StatusReply.error(RoleStream.describe(msg.failure())));
      return Behaviors.stopped();
    }
    msg.replyTo().tell(StatusReply.ack());
    // Cancelled while this window was generated: its checkpoint may have landed after the cancel's
    // tombstone.
    if (deps.jobs().isCancelled(jobId)) {
      return removeCheckpointAndStop();
    }
    release();
    report(false);
    return this;
  }

  private Behavior<Command> onGrant(Grant g) {
    credit = g.credit();
    release();
    report(false);
    return this;
  }

  private Behavior<Command> onRenderTick() {
    if (deps.jobs().isStopped(jobId)) {
      return deps.jobs().isCancelled(jobId) ? removeCheckpointAndStop() : Behaviors.stopped();
    }
    inRender.removeIf(this::segmentExists);
    release();
    RenderScheduler.Report r = report(false);
    if (r.done() && releasedAcked == released) {
      log.info("Motion entity {}: all {} windows rendered; entity stopped", jobId, nextWindow);
      return Behaviors.stopped();
    }
    return this;
  }

  private Behavior<Command> onReleased(Released msg) {
    if (msg.failure() != null) {
      // The window may not be in the render topic: start over from the checkpoint, which counts
      // only the windows known to be there.
      log.warn(
          "Motion entity {}: admitting window {} failed ({}); restarting from the checkpoint",
          jobId,
          msg.windowIndex(),
          RoleStream.describe(msg.failure()));
      return Behaviors.stopped();
    }
    ackedAhead.add(msg.windowIndex());
    int before = releasedAcked;
    while (ackedAhead.remove(releasedAcked)) {
      releasedAcked++;
    }
    if (releasedAcked > before) {
      kafka.send(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId), checkpoint(null));
    }
    return this;
  }

  /** Admits parked windows, in order, while the job's credit allows. */
  private void release() {
    while (released < nextWindow && inRender.size() < credit) {
      int w = released;
      MotionWindow window;
      try {
        window =
            MotionWindow.parseFrom(
                java.nio.file.Files.readAllBytes(
                    deps.blobs().resolve(BlobStore.SCHEME + JobPaths.motion(jobId, w))));
      } catch (java.nio.file.NoSuchFileException e) {
        if (segmentExists(w)) {
          // Rendered before its motion was parked (a job from before admission): nothing to do.
          released++;
          getContext().getSelf().tell(new Released(w, null));
          continue;
        }
        String reason =
            "motion of window " + w + " of job " + jobId + " is missing from the blob store";
        log.warn("Motion entity {}: {}", jobId, reason);
        deps.jobs().markFailed(jobId, reason);
        kafka.jobFailed(jobId, source, reason);
        return;
      } catch (java.io.IOException e) {
        log.warn("Motion entity {}: cannot read window {}: {}", jobId, w, e.toString());
        return;
      }
      MotionWindow admitted =
          window.toBuilder()
              .setHeader(
                  Headers.create(
                      "MotionWindow", jobId, source, window.getHeader().getCorrelationId()))
              .build();
      released++;
      inRender.add(w);
      getContext()
          .pipeToSelf(
              kafka.send(Topics.MOTION_WINDOWS, Topic.windowKey(jobId, w), admitted),
              (ok, error) -> new Released(w, error));
    }
  }

  private boolean segmentExists(int window) {
    return java.nio.file.Files.isRegularFile(
        deps.blobs().resolve(BlobStore.SCHEME + JobPaths.segment(jobId, window)));
  }

  /** Tells the scheduler where the job stands, when that changed or a second has passed. */
  private RenderScheduler.Report report(boolean force) {
    boolean done = lastGenerated && released == nextWindow && inRender.isEmpty();
    RenderScheduler.Report r =
        new RenderScheduler.Report(jobId, nextWindow, released, inRender.size(), done);
    long now = System.nanoTime();
    if (force || !r.equals(reported) || now - reportedAtNanos > 1_000_000_000L) {
      deps.scheduler().tell(r);
      reported = r;
      reportedAtNanos = now;
    }
    return r;
  }

  private MotionCheckpoint checkpoint(String cause) {
    int p = generator.spec().contextFrames();
    int m = generator.spec().motionDim();
    MotionCheckpoint.Builder b =
        MotionCheckpoint.newBuilder()
            .setHeader(Headers.create("MotionCheckpoint", jobId, source, cause))
            .setNextWindow(nextWindow)
            .setContext(Tensors.ofFloats(context, p, m))
            .setRngCounter(nextWindow)
            .setCompleted(lastGenerated)
            .setReleased(releasedAcked);
    if (lastFrame != null) {
      b.setLastFrame(Tensors.ofFloats(lastFrame, lastFrame.length));
    }
    if (driving != null || livePortraitDriving != null) {
      float[] st = driving != null ? driving.state() : livePortraitDriving.state();
      b.setDrivingState(Tensors.ofFloats(st, st.length));
    }
    if (anchor != null) {
      b.setAnchor(Tensors.ofFloats(anchor, anchor.length));
    }
    if (lastControls != null) {
      b.setLastControls(Tensors.ofFloats(lastControls, lastControls.length));
    }
    return b.build();
  }

  private Behavior<Command> removeCheckpointAndStop() {
    kafka.tombstone(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId));
    log.info("Motion entity {}: job cancelled; checkpoint removed, entity stopped", jobId);
    return Behaviors.stopped();
  }

  /**
   * The generator's motion for a narration window: W frames at the pack's rate, with the job's
   * direction as the controls of each frame.
   */
  private float[] generateAudioDriven(AudioFeatures features) throws ai.onnxruntime.OrtException {
    if (track == null) {
      track = new ControlTrack(features.getSpec().getOptions(), generator.spec().controls());
    }
    int w = generator.spec().windowFrames();
    float[] controls = track.frames(features.getFirstFrame(), w, generator.packFps());
    int c = track.controls().size();
    lastControls = Arrays.copyOfRange(controls, (w - 1) * c, w * c);
    return generator.window(
        Tensors.floats(features.getFeatures()),
        context,
        features.getSpec().getOptions().getSeed(),
        features.getWindowIndex(),
        controls);
  }

  private CompletableFuture<?> generate(AudioFeatures features) throws ai.onnxruntime.OrtException {
    if (!deps.simulatedLatency().isZero()) {
      try {
        Thread.sleep(deps.simulatedLatency().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int window = features.getWindowIndex();
    int m = generator.spec().motionDim();
    int packFps = generator.packFps();
    int outFps = features.getOutputFps() > 0 ? features.getOutputFps() : packFps;
    int firstFrame;
    int frames;
    float[] motion;
    if (features.hasDriving()
        && Tensors.dim(features.getDriving(), 1) > dev.actorfarm.runtime.motion.DrivingMeasures.K) {
      // The video stage ran a LivePortrait-family pack's own motion extractor on every frame.
      m = Tensors.dim(features.getDriving(), 1) - dev.actorfarm.runtime.motion.DrivingMeasures.K;
      if (livePortraitDriving == null) {
        livePortraitDriving = new LivePortraitDriving(m, outFps, drivingState);
      }
      firstFrame = features.getFirstFrame();
      frames = features.getFrameCount();
      motion = livePortraitDriving.drive(Tensors.floats(features.getDriving()), frames);
      anchor = livePortraitDriving.anchor();
    } else if (features.hasDriving()) {
      if (driving == null) {
        driving =
            new DrivingRetargeter(
                generator.spec().motionChannels(),
                generator.spec().restPose(),
                outFps,
                drivingState);
      }
      firstFrame = features.getFirstFrame();
      frames = features.getFrameCount();
      motion = driving.retarget(Tensors.floats(features.getDriving()), frames);
    } else {
      float[] generated = generateAudioDriven(features);
      if (anchor == null && generator.spec().motionLayout().equals(PackManifest.LAYOUT_JOYVASA)) {
        // Generated motion is read relative to the pack's rest pose (its motion at silence), which
        // the portrait's own expression stands for: a narration that starts mid-word must not make
        // the open mouth the portrait's neutral.
        anchor = generator.spec().restPoseValues();
      }
      int w = generator.spec().windowFrames();
      int p = generator.spec().contextFrames();
      // The context is the last P frames the generator produced (a short last window still
      // carries a full window of generated motion).
      context = Arrays.copyOfRange(generated, (w - p) * m, w * m);
      int packFirst = features.getFirstFrame();
      if (anchor != null && m == 70) {
        // The direction on JoyVASA-layout motion, after the context was taken: host edits.
        if (joyvasaDirection == null) {
          joyvasaDirection =
              new JoyvasaDirection(features.getSpec().getOptions(), generator.spec());
        }
        generated = generated.clone();
        joyvasaDirection.apply(generated, packFirst, w, packFps, anchor);
      }
      firstFrame = FrameRates.firstOutputFrame(packFirst, packFps, outFps);
      int end =
          features.getLast()
              ? features.getTotalOutputFrames() > 0
                  ? features.getTotalOutputFrames()
                  : FrameRates.firstOutputFrame(
                      packFirst + features.getFrameCount(), packFps, outFps)
              : FrameRates.firstOutputFrame(packFirst + w, packFps, outFps);
      frames = Math.max(0, end - firstFrame);
      motion =
          FrameRates.resample(
              lastFrame, generated, w, m, packFirst, firstFrame, frames, packFps, outFps);
      lastFrame = Arrays.copyOfRange(generated, (w - 1) * m, w * m);
    }
    String cause = features.getHeader().getEventId();
    MotionWindow.Builder built =
        MotionWindow.newBuilder()
            .setHeader(Headers.create("MotionWindow", jobId, source, cause))
            .setSpec(features.getSpec())
            .setWindowIndex(window)
            .setFirstFrame(firstFrame)
            .setFrameCount(frames)
            .setLast(features.getLast())
            .setMotion(Tensors.ofFloats(Arrays.copyOf(motion, frames * m), frames, m))
            .setFeaturesProducedMs(features.getHeader().getTimestampMs())
            .setFps(outFps);
    if (anchor != null) {
      built.setAnchor(Tensors.ofFloats(anchor, anchor.length));
    }
    MotionWindow out = built.build();
    nextWindow = window + 1;
    log.info("Motion entity {} generated window {}", jobId, window);
    if (firstAfterRestore) {
      firstAfterRestore = false;
      log.info(
          "Motion entity {} generated window {}, its first after the restore, {} ms after it"
              + " started",
          jobId,
          window,
          String.format(
              java.util.Locale.ROOT, "%.0f", (System.nanoTime() - restoredAtNanos) / 1e6));
    }
    lastGenerated = features.getLast();
    try {
      // Parked until admitted; the path is a function of (job, window), so a redelivered window
      // overwrites it with the same bytes.
      byte[] bytes = out.toByteArray();
      deps.blobs()
          .write(JobPaths.motion(jobId, window), tmp -> java.nio.file.Files.write(tmp, bytes));
    } catch (java.io.IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return kafka.send(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId), checkpoint(cause));
  }
}
