package dev.actorfarm.video;

import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.render.face.Face;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.InFlightSends;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one driving-video job's video into windows of face measures at the output frame rate:
 * decodes the video as a stream, tracks and measures the face in every frame ({@link
 * DrivingAnalysis}), publishes each window to {@code farm.audio-features} (the motion entity's
 * intake, where the window's {@code driving} tensor tells it from a narration's features), then the
 * job plan with the output frame rate, the frame count and the sound track.
 *
 * <p>Keeps no state between jobs: the analysis is deterministic, so a restart redoes it from the
 * start and the motion entity drops the windows it already has. Runs on the blocking dispatcher. A
 * video that cannot be decoded, has no face, or is over a limit fails its job with the reason.
 */
public final class VideoIngest extends AbstractBehavior<VideoIngest.Command> {

  /** Messages of the video ingest actor. */
  public sealed interface Command permits Ingest {}

  /** Analyse a job's driving video; replies when every window and the plan are on Kafka. */
  public record Ingest(JobRequested job, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Windows produced ahead of the broker's acknowledgements (bounded memory). */
  private static final int MAX_IN_FLIGHT = 16;

  private static final Logger log = LoggerFactory.getLogger(VideoIngest.class);

  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final ModelPack pack;
  private final FarmSettings settings;
  private final JobStates jobs;
  private final Supplier<FaceLandmarks> landmarks;
  private final String source;

  public static Behavior<Command> create(
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs,
      Supplier<FaceLandmarks> landmarks) {
    return Behaviors.setup(
        ctx -> new VideoIngest(ctx, kafka, blobs, pack, settings, jobs, landmarks));
  }

  private VideoIngest(
      ActorContext<Command> context,
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs,
      Supplier<FaceLandmarks> landmarks) {
    super(context);
    this.kafka = kafka;
    this.blobs = blobs;
    this.pack = pack;
    this.settings = settings;
    this.jobs = jobs;
    this.landmarks = landmarks;
    this.source = settings.source("video");
  }

  /** A LivePortrait-family pack's own motion extractor, opened for the first driven job. */
  private dev.actorfarm.render.liveportrait.MotionExtractor extractor;

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Ingest.class, this::onIngest)
        .onSignal(
            org.apache.pekko.actor.typed.PostStop.class,
            stop -> {
              if (extractor != null) {
                extractor.close();
              }
              return this;
            })
        .build();
  }

  /**
   * For a LivePortrait-family pack, the pack's motion extractor on each frame's face, appended to
   * the measures (the motion entity hands its values to the renderer in the JoyVASA layout); null
   * for other packs.
   */
  private DrivingAnalysis.Extra extra() throws java.io.IOException {
    if (!pack.manifest().livePortraitFamily()) {
      return null;
    }
    if (extractor == null) {
      extractor =
          new dev.actorfarm.render.liveportrait.MotionExtractor(
              pack, settings.executionProvider(), settings.intraOpThreads());
    }
    var x = extractor;
    return new DrivingAnalysis.Extra() {
      @Override
      public int width() {
        return dev.actorfarm.render.liveportrait.MotionExtractor.DRIVING_VALUES;
      }

      @Override
      public float[] measure(org.bytedeco.opencv.opencv_core.Mat bgr, Face face)
          throws java.io.IOException {
        try {
          return x.driving(bgr, face);
        } catch (ai.onnxruntime.OrtException e) {
          throw new java.io.IOException("motion extractor failed: " + e.getMessage(), e);
        }
      }
    };
  }

  private Behavior<Command> onIngest(Ingest msg) {
    try {
      analyse(msg.job());
      msg.replyTo().tell(StatusReply.ack());
    } catch (Exception e) {
      msg.replyTo().tell(StatusReply.error(RoleStream.describe(e)));
    }
    return this;
  }

  private void analyse(JobRequested job) throws Exception {
    JobSpec spec = job.getSpec();
    if (!spec.hasDriving()) {
      return; // a narration: the audio stage analyses it
    }
    String jobId = spec.getJobId();
    String cause = job.getHeader().getEventId();
    kafka.jobEvent(jobId, source, JobEvent.newBuilder().setState(JobState.ANALYZING)).get();
    Path video = blobs.open(spec.getDriving().getVideo());
    FarmSettings.Limits limits = settings.limits();
    DrivingVideo.Probe probe = DrivingVideo.probe(video, limits);
    int fps = DrivingVideo.outputFps(spec.getOptions().getFps(), probe.fps());
    if (fps > limits.maxFps()) {
      throw new IOException("fps " + fps + " is over the limit of " + limits.maxFps());
    }
    int w = pack.manifest().motionGenerator().windowFrames();
    DrivingAnalysis analysis = new DrivingAnalysis(landmarks.get(), extra());
    Publisher publisher = new Publisher(spec, cause, fps, analysis.width());
    long started = System.nanoTime();
    DrivingAnalysis.Result result =
        analysis.run(
            video,
            fps,
            w,
            seconds -> {
              if (jobs.isStopped(jobId)) {
                throw new java.util.concurrent.CancellationException(
                    "job " + jobId + " was stopped");
              }
              if (seconds > limits.maxVideoSeconds()) {
                throw new IOException(
                    "driving video is longer than the limit of " + limits.maxVideoSeconds() + " s");
              }
              publisher.awaitBelow(MAX_IN_FLIGHT);
            },
            publisher::add);
    publisher.finish(result.outputFrames());
    double wall = (System.nanoTime() - started) / 1e9;
    log.info(
        String.format(
            Locale.ROOT,
            "Job %s: driving video analysed, %d frames decoded (%d with a face) in %.1f s (%.0f"
                + " fps), %d output frames at %d fps in %d windows",
            jobId,
            result.decodedFrames(),
            result.facesSeen(),
            wall,
            result.decodedFrames() / Math.max(wall, 1e-9),
            result.outputFrames(),
            fps,
            result.windows()));
    JobPlan.Builder plan =
        JobPlan.newBuilder()
            .setHeader(Headers.create("JobPlan", jobId, source, cause))
            .setSpec(spec)
            .setTotalFrames(result.outputFrames())
            .setTotalWindows(result.windows())
            .setWindowFrames(w)
            .setAudioSeconds(result.seconds())
            .setFps(fps);
    if (spec.getDriving().hasAudio()) {
      plan.setSound(spec.getDriving().getAudio());
    } else if (probe.hasAudio()) {
      plan.setSound(spec.getDriving().getVideo());
    }
    kafka.send(Topics.JOB_PLANS, Topic.jobKey(jobId), plan.build()).get();
    kafka
        .jobEvent(
            jobId,
            source,
            JobEvent.newBuilder()
                .setState(JobState.GENERATING)
                .setTotalFrames(result.outputFrames()))
        .get();
  }

  /**
   * Publishes a job's measure windows in order, holding the latest back until the next one (or the
   * end of the video) shows whether it is the last.
   */
  private final class Publisher {
    private final JobSpec spec;
    private final String cause;
    private final int fps;
    private final int width;
    private final InFlightSends inFlight = new InFlightSends("measures");
    private int heldIndex = -1;
    private float[] held;
    private int heldFrames;
    private int nextFirst;

    Publisher(JobSpec spec, String cause, int fps, int width) {
      this.spec = spec;
      this.cause = cause;
      this.fps = fps;
      this.width = width;
    }

    void add(int index, float[] measures, int frames) {
      if (heldIndex >= 0) {
        publish(0);
      }
      heldIndex = index;
      held = measures;
      heldFrames = frames;
    }

    void finish(int totalFrames) throws IOException {
      publish(totalFrames);
      awaitBelow(0);
    }

    private void publish(int totalFrames) {
      AudioFeatures record =
          AudioFeatures.newBuilder()
              .setHeader(Headers.create("AudioFeatures", spec.getJobId(), source, cause))
              .setSpec(spec)
              .setWindowIndex(heldIndex)
              .setFirstFrame(nextFirst)
              .setFrameCount(heldFrames)
              .setLast(totalFrames > 0)
              .setOutputFps(fps)
              .setTotalOutputFrames(totalFrames)
              .setDriving(Tensors.ofFloats(held, heldFrames, width))
              .build();
      nextFirst += heldFrames;
      inFlight.add(kafka.send(Topics.AUDIO_FEATURES, Topic.jobKey(spec.getJobId()), record));
    }

    void awaitBelow(int limit) throws IOException {
      inFlight.awaitBelow(limit);
    }
  }
}
