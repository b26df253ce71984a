package dev.actorfarm.motion;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.MotionCheckpoint;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.CborSerializable;
import dev.actorfarm.runtime.StashUntilLoaded;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.kafka.TopicReader;
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
 * and publishes the motion window and a checkpoint (context, next window, RNG position) before it
 * acknowledges the window.
 *
 * <p>State: the next window index and the context. Before it takes any window, a starting entity (a
 * new job, or one that moved after a crash or a rebalance) restores them from the job's latest
 * checkpoint in the compacted {@code farm.motion-checkpoints}, stashing windows meanwhile. A window
 * below the next index is a redelivery and is acknowledged without effect; one above it (retries
 * after a restore reorder windows) is held, unanswered, until its turn comes. A window of a
 * cancelled job is acknowledged without effect, the checkpoint is removed and the entity stops.
 * Runs on the blocking dispatcher.
 */
public final class MotionSession extends AbstractBehavior<MotionSession.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "motion-session");

  /** Messages of the motion entity. */
  public sealed interface Command extends CborSerializable
      permits GenerateWindow, Published, Restored {}

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
      java.time.Duration simulatedLatency) {}

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
  private long restoredAtNanos;
  private boolean firstAfterRestore;
  private final java.util.TreeMap<Integer, GenerateWindow> ahead = new java.util.TreeMap<>();

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
          return new MotionSession(ctx, jobId, deps, r);
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
        this.firstAfterRestore = true;
        this.restoredAtNanos = r.startedNanos();
      }
    }
    log.info(
        "Motion entity {} started at window {} ({}; checkpoint read in {} ms)",
        jobId,
        nextWindow,
        nextWindow > 0 ? "restored from its checkpoint" : "fresh",
        String.format(java.util.Locale.ROOT, "%.0f", ms));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GenerateWindow.class, this::onGenerateWindow)
        .onMessage(Published.class, this::onPublished)
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
    return deps.jobs().isCancelled(jobId) ? removeCheckpointAndStop() : this;
  }

  private Behavior<Command> removeCheckpointAndStop() {
    kafka.tombstone(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId));
    log.info("Motion entity {}: job cancelled; checkpoint removed, entity stopped", jobId);
    return Behaviors.stopped();
  }

  private CompletableFuture<?> generate(AudioFeatures features) throws ai.onnxruntime.OrtException {
    if (!deps.simulatedLatency().isZero()) {
      try {
        Thread.sleep(deps.simulatedLatency().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    var spec = generator.spec();
    int w = spec.windowFrames();
    int m = spec.motionDim();
    int p = spec.contextFrames();
    int window = features.getWindowIndex();
    RenderOptions opts = features.getSpec().getOptions();
    float[] noise = CounterRng.normals(opts.getSeed(), window, w * m);
    float[] controls = {
      opts.getExpressionIntensity() == 0 ? 1f : opts.getExpressionIntensity(),
      opts.getHeadMotionScale() == 0 ? 1f : opts.getHeadMotionScale()
    };
    float[] motion =
        generator.generate(Tensors.floats(features.getFeatures()), context, noise, controls);
    int frames = features.getFrameCount();
    String cause = features.getHeader().getEventId();
    MotionWindow out =
        MotionWindow.newBuilder()
            .setHeader(Headers.create("MotionWindow", jobId, source, cause))
            .setSpec(features.getSpec())
            .setWindowIndex(window)
            .setFirstFrame(features.getFirstFrame())
            .setFrameCount(frames)
            .setLast(features.getLast())
            .setMotion(Tensors.ofFloats(Arrays.copyOf(motion, frames * m), frames, m))
            .setFeaturesProducedMs(features.getHeader().getTimestampMs())
            .build();
    // The context is the last P frames the generator produced (a short last window still
    // carries a full window of generated motion).
    context = Arrays.copyOfRange(motion, (w - p) * m, w * m);
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
    MotionCheckpoint checkpoint =
        MotionCheckpoint.newBuilder()
            .setHeader(Headers.create("MotionCheckpoint", jobId, source, cause))
            .setNextWindow(nextWindow)
            .setContext(Tensors.ofFloats(context, p, m))
            .setRngCounter(nextWindow)
            .setCompleted(features.getLast())
            .build();
    return CompletableFuture.allOf(
        kafka.send(Topics.MOTION_WINDOWS, Topic.windowKey(jobId, window), out),
        kafka.send(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId), checkpoint));
  }
}
