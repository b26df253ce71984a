package dev.actorfarm.muxer;

import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The muxer of a node: one {@link MuxJob} child per job, created on the job's first plan or
 * segment. Owns nothing but the routing; a child's failure does not touch other jobs.
 */
public final class Muxer extends AbstractBehavior<Muxer.Command> {

  /** Messages of the muxer. */
  public sealed interface Command permits Plan, Segment {}

  public record Plan(JobPlan plan, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Segment(SegmentRendered segment, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final FarmSettings settings;
  private final Executor blocking;
  private final Map<String, ActorRef<MuxJob.Command>> jobs = new HashMap<>();

  public static Behavior<Command> create(
      FarmKafka kafka, BlobStore blobs, FarmSettings settings, Executor blocking) {
    return Behaviors.setup(ctx -> new Muxer(ctx, kafka, blobs, settings, blocking));
  }

  private Muxer(
      ActorContext<Command> context,
      FarmKafka kafka,
      BlobStore blobs,
      FarmSettings settings,
      Executor blocking) {
    super(context);
    this.kafka = kafka;
    this.blobs = blobs;
    this.settings = settings;
    this.blocking = blocking;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Plan.class, this::onPlan)
        .onMessage(Segment.class, this::onSegment)
        .build();
  }

  private Behavior<Command> onPlan(Plan msg) {
    job(msg.plan().getSpec().getJobId()).tell(new MuxJob.PlanReady(msg.plan(), msg.replyTo()));
    return this;
  }

  private Behavior<Command> onSegment(Segment msg) {
    job(msg.segment().getHeader().getJobId())
        .tell(new MuxJob.SegmentReady(msg.segment(), msg.replyTo()));
    return this;
  }

  private ActorRef<MuxJob.Command> job(String jobId) {
    return jobs.computeIfAbsent(
        jobId,
        id ->
            getContext()
                .spawn(
                    MuxJob.create(id, kafka, blobs, settings, blocking),
                    "job-"
                        + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)));
  }
}
