package dev.actorfarm.muxer;

import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
 * The assembly of one job's output: collects its plan and its segment reports (deduplicated by
 * window index), reports progress, and once every window is present joins the segments in order
 * with the narration into the final MP4, written atomically into the blob store, then publishes the
 * job's completion.
 *
 * <p>State: the plan and the reported segments, all rebuildable from {@code farm.job-plans} and
 * {@code farm.segments}. A mux that fails fails the job with the reason.
 */
public final class MuxJob extends AbstractBehavior<MuxJob.Command> {

  /** Messages of a job's assembly. */
  public sealed interface Command permits PlanReady, SegmentReady, MuxFinished {}

  /** The job's plan is known. */
  public record PlanReady(JobPlan plan, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A window's segment is in the blob store. */
  public record SegmentReady(SegmentRendered segment, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  private record MuxFinished(BlobRef output, Throwable failure) implements Command {}

  private final String jobId;
  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final FarmSettings settings;
  private final Executor blocking;
  private final String source;
  private final TreeMap<Integer, SegmentRendered> segments = new TreeMap<>();
  private JobPlan plan;
  private int framesDone;
  private boolean muxing;
  private boolean finished;

  public static Behavior<Command> create(
      String jobId, FarmKafka kafka, BlobStore blobs, FarmSettings settings, Executor blocking) {
    return Behaviors.setup(ctx -> new MuxJob(ctx, jobId, kafka, blobs, settings, blocking));
  }

  private MuxJob(
      ActorContext<Command> context,
      String jobId,
      FarmKafka kafka,
      BlobStore blobs,
      FarmSettings settings,
      Executor blocking) {
    super(context);
    this.jobId = jobId;
    this.kafka = kafka;
    this.blobs = blobs;
    this.settings = settings;
    this.blocking = blocking;
    this.source = settings.source("mux");
  }

  /** The blob path of a job's final output. */
  public static String outputPath(String jobId) {
    return "jobs/" + jobId + "/output.mp4";
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(PlanReady.class, this::onPlanReady)
        .onMessage(SegmentReady.class, this::onSegmentReady)
        .onMessage(MuxFinished.class, this::onMuxFinished)
        .build();
  }

  private Behavior<Command> onPlanReady(PlanReady msg) {
    plan = msg.plan();
    msg.replyTo().tell(StatusReply.ack());
    maybeMux();
    return this;
  }

  private Behavior<Command> onSegmentReady(SegmentReady msg) {
    SegmentRendered s = msg.segment();
    if (!finished && segments.putIfAbsent(s.getWindowIndex(), s) == null) {
      framesDone += s.getFrameCount();
      kafka.jobEvent(
          jobId,
          source,
          JobEvent.newBuilder()
              .setState(JobState.RENDERING)
              .setFramesDone(framesDone)
              .setTotalFrames(plan == null ? 0 : plan.getTotalFrames()));
    }
    msg.replyTo().tell(StatusReply.ack());
    maybeMux();
    return this;
  }

  private void maybeMux() {
    if (plan == null || muxing || finished || segments.size() < plan.getTotalWindows()) {
      return;
    }
    muxing = true;
    kafka.jobEvent(
        jobId,
        source,
        JobEvent.newBuilder()
            .setState(JobState.MUXING)
            .setFramesDone(framesDone)
            .setTotalFrames(plan.getTotalFrames()));
    List<SegmentMuxer.Segment> ordered = new ArrayList<>();
    int expectedFirst = 0;
    for (SegmentRendered s : segments.values()) {
      ordered.add(
          new SegmentMuxer.Segment(
              blobs.resolve(s.getSegment().getUri()), s.getFirstFrame(), s.getFrameCount()));
      if (s.getFirstFrame() != expectedFirst) {
        getContext()
            .getSelf()
            .tell(
                new MuxFinished(
                    null,
                    new IllegalStateException(
                        "segment of window "
                            + s.getWindowIndex()
                            + " starts at frame "
                            + s.getFirstFrame()
                            + ", expected "
                            + expectedFirst)));
        return;
      }
      expectedFirst += s.getFrameCount();
    }
    JobPlan p = plan;
    CompletableFuture<BlobRef> done =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return blobs.write(
                    outputPath(jobId),
                    tmp ->
                        SegmentMuxer.mux(
                            ordered,
                            blobs.open(p.getSpec().getAudio()),
                            tmp,
                            p.getSpec().getOptions().getFps(),
                            settings.muxer().audioSampleRate(),
                            settings.muxer().audioBitrate()));
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            blocking);
    getContext().pipeToSelf(done, MuxFinished::new);
  }

  private Behavior<Command> onMuxFinished(MuxFinished msg) {
    finished = true;
    if (msg.failure() != null) {
      kafka.jobFailed(jobId, source, "mux failed: " + RoleStream.describe(msg.failure()));
    } else {
      kafka.jobEvent(
          jobId,
          source,
          JobEvent.newBuilder()
              .setState(JobState.COMPLETED)
              .setFramesDone(framesDone)
              .setTotalFrames(plan.getTotalFrames())
              .setOutput(msg.output())
              .setWallSeconds(
                  (System.currentTimeMillis() - plan.getSpec().getSubmittedMs()) / 1e3));
    }
    return this;
  }
}
