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
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
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

/**
 * The motion entity of one job (entity id = job id), sharded over the motion nodes. It takes the
 * job's feature windows strictly in order, runs the autoregressive motion generator on each with
 * the last P motion frames as context and noise drawn from the counter-based RNG at (seed, window),
 * and publishes the motion window and a checkpoint (context, next window, RNG position) before it
 * acknowledges the window.
 *
 * <p>State: the next window index and the context. A window below the next index is a redelivery
 * and is acknowledged without effect; one above it means the entity lost its state and is refused,
 * which fails the window with that reason. Runs on the blocking dispatcher.
 */
public final class MotionSession extends AbstractBehavior<MotionSession.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "motion-session");

  /** Messages of the motion entity. */
  public sealed interface Command extends CborSerializable permits GenerateWindow, Published {}

  /** Generate the motion of one feature window (the serialized {@link AudioFeatures} record). */
  public record GenerateWindow(
      String jobId, int windowIndex, byte[] featuresRecord, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private record Published(int windowIndex, Throwable failure, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private final String jobId;
  private final MotionGeneratorStage generator;
  private final FarmKafka kafka;
  private final String source;
  private int nextWindow;
  private float[] context;

  public static Behavior<Command> create(
      String jobId, MotionGeneratorStage generator, FarmKafka kafka, String source) {
    return Behaviors.setup(ctx -> new MotionSession(ctx, jobId, generator, kafka, source));
  }

  private MotionSession(
      ActorContext<Command> context,
      String jobId,
      MotionGeneratorStage generator,
      FarmKafka kafka,
      String source) {
    super(context);
    this.jobId = jobId;
    this.generator = generator;
    this.kafka = kafka;
    this.source = source;
    this.context = generator.initialContext();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GenerateWindow.class, this::onGenerateWindow)
        .onMessage(Published.class, this::onPublished)
        .build();
  }

  private Behavior<Command> onGenerateWindow(GenerateWindow msg) {
    if (msg.windowIndex() < nextWindow) {
      msg.replyTo().tell(StatusReply.ack());
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
    return this;
  }

  private CompletableFuture<?> generate(AudioFeatures features) throws ai.onnxruntime.OrtException {
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
            .build();
    // The context is the last P frames the generator produced (a short last window still
    // carries a full window of generated motion).
    context = Arrays.copyOfRange(motion, (w - p) * m, w * m);
    nextWindow = window + 1;
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
