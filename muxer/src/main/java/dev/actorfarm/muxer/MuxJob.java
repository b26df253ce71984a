package dev.actorfarm.muxer;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.CborSerializable;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.StashUntilLoaded;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.blob.DiskSpace;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.kafka.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
 * The assembly of one job's output, a sharded entity per job (entity id = job id) living on the
 * node that consumes the job's {@code farm.segments} partition. It collects the job's plan and its
 * segment reports (deduplicated by window index), reports progress, and once every window is
 * present joins the segments in order with the narration into the final MP4, written atomically
 * into the blob store, then publishes the job's completion.
 *
 * <p>A starting entity (a new job, or one that moved after a crash or a rebalance) first rebuilds
 * its state from {@code farm.job-plans} and {@code farm.segments}, stashing messages meanwhile, so
 * nothing the consumer already committed is lost. A report whose segment file is gone (a cancelled
 * earlier attempt) is ignored. A mux that fails fails the job with the reason.
 */
public final class MuxJob extends AbstractBehavior<MuxJob.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY =
      EntityTypeKey.create(Command.class, "mux-job");

  /** Messages of a job's assembly. */
  public sealed interface Command extends CborSerializable
      permits PlanReady, SegmentReady, Appended, Rebuilt, RetryAppend {}

  /** The job's plan is known (a serialized {@link JobPlan}). */
  public record PlanReady(byte[] planRecord, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** A window's segment is in the blob store (a serialized {@link SegmentRendered}). */
  public record SegmentReady(byte[] segmentRecord, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** The prefix up to {@code windows} is in the output being assembled (or failed). */
  private record Appended(int windows, Assembly assembly, Throwable failure) implements Command {}

  /**
   * An append's result: the open output and its file, or the finished output; or, with {@code
   * diskFull}, the open output unchanged because its disk had no room for the append.
   */
  private record Assembly(
      SegmentMuxer.Session session,
      Path partial,
      BlobRef output,
      DiskSpace.DiskFullException diskFull) {
    Assembly(SegmentMuxer.Session session, Path partial, BlobRef output) {
      this(session, partial, output, null);
    }
  }

  /** Try the append that waited for disk space again. */
  private enum RetryAppend implements Command {
    INSTANCE
  }

  /** How often an output waiting for disk space looks again. */
  static final Duration DISK_RETRY = Duration.ofSeconds(2);

  record Rebuilt(JobPlan plan, List<SegmentRendered> segments, Throwable failure)
      implements Command {}

  /** What an entity needs besides its job id; shared by the node's entities. */
  public record Deps(
      FarmKafka kafka, BlobStore blobs, FarmSettings settings, JobStates jobs, Executor blocking) {}

  private static final Logger log = LoggerFactory.getLogger(MuxJob.class);

  private static final int STASH_CAPACITY = 4096;

  /**
   * How far before the job's first event its segment reports are looked for: reports are
   * timestamped by the render nodes' clocks and the job's first event by the submitter's, which may
   * disagree by this much.
   */
  static final Duration CLOCK_MARGIN = Duration.ofMinutes(15);

  private final String jobId;
  private final Deps deps;
  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final String source;
  private final TreeMap<Integer, SegmentRendered> segments = new TreeMap<>();
  private JobPlan plan;
  private int framesDone;
  private boolean finished;
  private int appendedWindows;
  private boolean appending;
  private SegmentMuxer.Session session;
  private Path partial;
  private CompletableFuture<Assembly> inFlight = CompletableFuture.completedFuture(null);
  private boolean waitingForDisk;

  /** The entity of {@code jobId}: rebuilds its state from the topics, then assembles. */
  public static Behavior<Command> create(String jobId, Deps deps) {
    return StashUntilLoaded.create(
        Command.class,
        Rebuilt.class,
        STASH_CAPACITY,
        ctx ->
            CompletableFuture.supplyAsync(
                () ->
                    rebuild(
                        deps.kafka().bootstrapServers(),
                        jobId,
                        deps.jobs()
                            .get(jobId)
                            .map(JobStates.Status::firstSeenMs)
                            .filter(ms -> ms > 0)
                            .map(ms -> ms - CLOCK_MARGIN.toMillis())
                            .orElse(-1L)),
                deps.blocking()),
        error -> new Rebuilt(null, List.of(), error),
        (ctx, r) -> {
          if (r.failure() != null) {
            log.warn(
                "Mux entity {} cannot rebuild its state: {}",
                jobId,
                RoleStream.describe(r.failure()));
            return Behaviors.stopped();
          }
          return new MuxJob(ctx, jobId, deps, r);
        });
  }

  /**
   * Rebuilds the job's plan and segment reports. With {@code sinceMs} (not -1) the segment reports
   * are read from that time on through the broker's time index, not from the topic's beginning: a
   * restart costs the records since the job began, not the farm's history.
   */
  static Rebuilt rebuild(String bootstrap, String jobId, long sinceMs) {
    try {
      JobPlan plan = null;
      for (ConsumerRecord<String, byte[]> r :
          TopicReader.readKey(bootstrap, Topics.JOB_PLANS.name(), jobId)) {
        plan = r.value() == null ? null : Topics.JOB_PLANS.parse(r.value());
      }
      List<SegmentRendered> segments = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> r :
          sinceMs < 0
              ? TopicReader.readKey(bootstrap, Topics.SEGMENTS.name(), jobId)
              : TopicReader.readKeySince(bootstrap, Topics.SEGMENTS.name(), jobId, sinceMs)) {
        if (r.value() != null) {
          segments.add(Topics.SEGMENTS.parse(r.value()));
        }
      }
      return new Rebuilt(plan, segments, null);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable record of job " + jobId, e);
    }
  }

  private MuxJob(ActorContext<Command> context, String jobId, Deps deps, Rebuilt rebuilt) {
    super(context);
    this.jobId = jobId;
    this.deps = deps;
    this.kafka = deps.kafka();
    this.blobs = deps.blobs();
    this.source = deps.settings().source("mux");
    this.plan = rebuilt.plan();
    for (SegmentRendered s : rebuilt.segments()) {
      register(s);
    }
    var state = deps.jobs().get(jobId).map(JobStates.Status::state).orElse(null);
    if (state == JobState.COMPLETED
        && Files.isRegularFile(blobs.resolve(BlobStore.SCHEME + outputPath(jobId)))) {
      finished = true;
    }
    log.info(
        "Mux entity {} started: plan {}, {} segments already reported{}",
        jobId,
        plan == null ? "not yet known" : plan.getTotalWindows() + " windows",
        segments.size(),
        finished ? ", job already complete" : "");
  }

  /** The blob path of a job's final output. */
  public static String outputPath(String jobId) {
    return dev.actorfarm.runtime.blob.JobPaths.output(jobId);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(PlanReady.class, this::onPlanReady)
        .onMessage(SegmentReady.class, this::onSegmentReady)
        .onMessage(Appended.class, this::onAppended)
        .onMessage(RetryAppend.class, m -> retryAppend())
        .onSignal(
            org.apache.pekko.actor.typed.PostStop.class,
            signal -> {
              abortOutput();
              return this;
            })
        .build();
  }

  private Behavior<Command> onPlanReady(PlanReady msg) {
    try {
      plan = JobPlan.parseFrom(msg.planRecord());
    } catch (InvalidProtocolBufferException e) {
      msg.replyTo().tell(StatusReply.error("undecodable plan: " + e.getMessage()));
      return this;
    }
    msg.replyTo().tell(StatusReply.ack());
    maybeMux();
    return this;
  }

  private Behavior<Command> onSegmentReady(SegmentReady msg) {
    SegmentRendered s;
    try {
      s = SegmentRendered.parseFrom(msg.segmentRecord());
    } catch (InvalidProtocolBufferException e) {
      msg.replyTo().tell(StatusReply.error("undecodable segment report: " + e.getMessage()));
      return this;
    }
    if (!finished && register(s)) {
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

  /** Adds a report unless its window is known or its file is gone; true when it was added. */
  private boolean register(SegmentRendered s) {
    if (segments.containsKey(s.getWindowIndex())
        || !Files.isRegularFile(blobs.resolve(s.getSegment().getUri()))) {
      return false;
    }
    segments.put(s.getWindowIndex(), s);
    framesDone += s.getFrameCount();
    return true;
  }

  /**
   * Appends the segments that extend the contiguous prefix to the output being assembled, off the
   * actor; once the last window is in, finishes the file and renames it into place. One append runs
   * at a time; {@link Appended} reports it back.
   */
  private void maybeMux() {
    if (plan == null || appending || finished) {
      return;
    }
    if (deps.jobs().isStopped(jobId)) {
      finished = true;
      abortOutput();
      return;
    }
    List<SegmentRendered> run = new ArrayList<>();
    int next = appendedWindows;
    while (segments.containsKey(next)) {
      run.add(segments.get(next));
      next++;
    }
    if (run.isEmpty()) {
      return;
    }
    boolean last = next >= plan.getTotalWindows();
    if (last) {
      kafka.jobEvent(
          jobId,
          source,
          JobEvent.newBuilder()
              .setState(JobState.MUXING)
              .setFramesDone(framesDone)
              .setTotalFrames(plan.getTotalFrames()));
    }
    appending = true;
    int upTo = next;
    JobPlan p = plan;
    FarmSettings.Muxer settings = deps.settings().muxer();
    SegmentMuxer.Session current = session;
    Path currentFile = partial;
    // The task hands the session (opened by its first append) back in its result: the actor's
    // fields are only ever touched by the actor.
    CompletableFuture<Assembly> done =
        CompletableFuture.supplyAsync(
            () -> {
              SegmentMuxer.Session open = current;
              Path file = currentFile;
              boolean handedBack = false;
              try {
                try {
                  blobs.requireSpace();
                } catch (DiskSpace.DiskFullException e) {
                  handedBack = true;
                  return new Assembly(open, file, null, e);
                }
                if (open == null) {
                  var sound = planSound(p);
                  Path target = blobs.resolve(BlobStore.SCHEME + outputPath(jobId));
                  Files.createDirectories(target.getParent());
                  file = Files.createTempFile(target.getParent(), ".tmp-", "-output.mp4");
                  open =
                      SegmentMuxer.Session.open(
                          blobs.resolve(run.get(0).getSegment().getUri()),
                          sound == null ? null : blobs.open(sound),
                          file,
                          planFps(p),
                          settings.audioSampleRate(),
                          settings.audioBitrate());
                }
                for (SegmentRendered s : run) {
                  open.append(
                      new SegmentMuxer.Segment(
                          blobs.resolve(s.getSegment().getUri()),
                          s.getFirstFrame(),
                          s.getFrameCount()));
                }
                Assembly result;
                if (!last) {
                  result = new Assembly(open, file, null);
                } else {
                  open.finish();
                  BlobStore.moveAtomically(
                      file, blobs.resolve(BlobStore.SCHEME + outputPath(jobId)));
                  result = new Assembly(null, null, blobs.ref(outputPath(jobId)));
                }
                handedBack = true;
                return result;
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              } finally {
                if (!handedBack && current == null) {
                  // A session this task opened and cannot hand back: nobody else knows of it.
                  discard(open, file);
                }
              }
            },
            deps.blocking());
    inFlight = done;
    getContext().pipeToSelf(done, (assembly, error) -> new Appended(upTo, assembly, error));
  }

  private Behavior<Command> onAppended(Appended msg) {
    appending = false;
    if (msg.failure() != null && DiskSpace.isDiskFull(msg.failure())) {
      // The disk filled up under FFmpeg: the output being assembled may be cut anywhere. Drop it
      // and assemble again from the first segment once there is room (the segments are all kept).
      abortOutput();
      appendedWindows = 0;
      return waitForDisk(msg.failure());
    }
    if (msg.failure() != null) {
      return finish(null, msg.failure());
    }
    if (msg.assembly().diskFull() != null) {
      session = msg.assembly().session();
      partial = msg.assembly().partial();
      return waitForDisk(msg.assembly().diskFull());
    }
    if (waitingForDisk) {
      waitingForDisk = false;
      log.info("Job {}: disk space is back; assembling the output again", jobId);
    }
    appendedWindows = msg.windows();
    session = msg.assembly().session();
    partial = msg.assembly().partial();
    if (msg.assembly().output() != null) {
      return finish(msg.assembly().output(), null);
    }
    maybeMux();
    return this;
  }

  /**
   * The output's disk has no room: look again every {@link #DISK_RETRY}; the job's status says why
   * (once), and nothing counts against the job.
   */
  private Behavior<Command> waitForDisk(Throwable cause) {
    if (!waitingForDisk) {
      waitingForDisk = true;
      String reason = RoleStream.describe(cause);
      log.warn("Job {}: the output waits: {}", jobId, reason);
      kafka.jobEvent(
          jobId,
          source,
          JobEvent.newBuilder()
              .setState(deps.jobs().waitingState(jobId))
              .setFramesDone(framesDone)
              .setReason(reason));
    }
    getContext().scheduleOnce(DISK_RETRY, getContext().getSelf(), RetryAppend.INSTANCE);
    return this;
  }

  private Behavior<Command> retryAppend() {
    maybeMux();
    return this;
  }

  /**
   * Drops the output being assembled, once the append in flight (if any) has returned: the one the
   * actor holds, or the one that append hands back (the actor stopped before it came).
   */
  private void abortOutput() {
    SegmentMuxer.Session open = session;
    Path file = partial;
    session = null;
    partial = null;
    inFlight.whenComplete(
        (assembly, e) -> {
          discard(open, file);
          if (assembly != null && assembly.session() != open) {
            discard(assembly.session(), assembly.partial());
          }
        });
  }

  private static void discard(SegmentMuxer.Session open, Path file) {
    if (open != null) {
      open.close();
    }
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (java.io.IOException ex) {
        log.debug("Cannot remove {}", file, ex);
      }
    }
  }

  private Behavior<Command> finish(BlobRef output, Throwable failure) {
    finished = true;
    if (failure != null) {
      abortOutput();
    }
    if (deps.jobs().isStopped(jobId)) {
      // Cancelled while muxing: the node's cancel handler removed the job's files; make sure the
      // output written since does not outlive it.
      try {
        blobs.deleteTree(dev.actorfarm.runtime.blob.JobPaths.folder(jobId));
      } catch (java.io.IOException e) {
        log.warn("Cannot remove the files of cancelled job {}: {}", jobId, e.getMessage());
      }
      return this;
    }
    if (failure != null) {
      deps.jobs().markFailed(jobId, "mux failed");
      kafka.jobFailed(jobId, source, "mux failed: " + RoleStream.describe(failure));
    } else {
      try {
        // What killed writers of this job left half-written (a partial output of an entity that
        // moved, a segment of a render node killed mid-write) has no reader any more.
        int removed = blobs.deleteTemporaries(dev.actorfarm.runtime.blob.JobPaths.folder(jobId));
        if (removed > 0) {
          log.info("Job {}: removed {} temporary files left by killed writers", jobId, removed);
        }
      } catch (java.io.IOException | java.io.UncheckedIOException e) {
        log.warn("Cannot remove the temporary files of job {}: {}", jobId, e.getMessage());
      }
      kafka.jobEvent(
          jobId,
          source,
          JobEvent.newBuilder()
              .setState(JobState.COMPLETED)
              .setFramesDone(framesDone)
              .setTotalFrames(plan.getTotalFrames())
              .setOutput(output)
              .setWallSeconds(
                  (System.currentTimeMillis() - plan.getSpec().getSubmittedMs()) / 1e3));
    }
    return this;
  }

  /**
   * The plan's output frame rate; a plan published before the frame rate was a fact of the plan
   * carries it only in the job's options.
   */
  public static int planFps(JobPlan plan) {
    return plan.getFps() > 0 ? plan.getFps() : plan.getSpec().getOptions().getFps();
  }

  /**
   * The plan's sound track, or null for an output without audio; a plan published before the sound
   * track was a fact of the plan has the narration of its job.
   */
  public static dev.actorfarm.protocol.BlobRef planSound(JobPlan plan) {
    if (plan.hasSound()) {
      return plan.getSound();
    }
    return plan.getSpec().hasAudio() ? plan.getSpec().getAudio() : null;
  }
}
