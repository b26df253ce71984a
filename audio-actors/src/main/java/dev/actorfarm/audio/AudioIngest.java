package dev.actorfarm.audio;

import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.Tensors;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.InFlightSends;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.metrics.FarmMetrics;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * Turns one job's narration into feature windows: decodes the audio as a stream, resamples it to
 * the pack's rate, cuts windows with the encoder's look-behind/look-ahead, runs the audio encoder
 * and publishes each window to {@code farm.audio-features} in order, then the job plan.
 *
 * <p>Owns an ONNX session of the audio encoder and nothing else: it keeps no state between jobs, so
 * a restart loses nothing (the job's record is redelivered and the motion entity drops the windows
 * it already has). Runs on the blocking dispatcher. A job whose audio cannot be decoded or is too
 * long is answered with an error, which fails that job with the reason.
 */
public final class AudioIngest extends AbstractBehavior<AudioIngest.Command> {

  /** Messages of the audio ingest actor. */
  public sealed interface Command permits Ingest {}

  /** Analyse a job's audio; replies when every window and the plan are on Kafka. */
  public record Ingest(JobRequested job, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Feature windows produced ahead of the broker's acknowledgements: bounds the memory of a job of
   * any length while keeping the producer busy.
   */
  private static final int MAX_IN_FLIGHT = 16;

  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final ModelPack pack;
  private final FarmSettings settings;
  private final AudioEncoderStage encoder;
  private final String source;
  private final JobStates jobs;

  public static Behavior<Command> create(
      FarmKafka kafka, BlobStore blobs, ModelPack pack, FarmSettings settings, JobStates jobs) {
    return Behaviors.setup(ctx -> new AudioIngest(ctx, kafka, blobs, pack, settings, jobs));
  }

  private AudioIngest(
      ActorContext<Command> context,
      FarmKafka kafka,
      BlobStore blobs,
      ModelPack pack,
      FarmSettings settings,
      JobStates jobs)
      throws ai.onnxruntime.OrtException {
    super(context);
    this.jobs = jobs;
    this.kafka = kafka;
    this.blobs = blobs;
    this.pack = pack;
    this.settings = settings;
    this.encoder =
        new AudioEncoderStage(pack, settings.executionProvider(), settings.intraOpThreads());
    this.source = settings.source("audio");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Ingest.class, this::onIngest)
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> closeEncoder())
        .build();
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

  private Behavior<Command> closeEncoder() throws ai.onnxruntime.OrtException {
    encoder.close();
    return this;
  }

  private void analyse(JobRequested job) throws Exception {
    JobSpec spec = job.getSpec();
    if (spec.hasDriving()) {
      return; // a driving-video job: the video stage analyses it
    }
    String jobId = spec.getJobId();
    String cause = job.getHeader().getEventId();
    kafka.jobEvent(jobId, source, JobEvent.newBuilder().setState(JobState.ANALYZING)).get();
    var enc = pack.manifest().audioEncoder();
    int w = pack.manifest().motionGenerator().windowFrames();
    int packFps = pack.manifest().fps();
    // The output's frame rate, a fact of the job plan that this stage owns for narrations: the
    // job's --fps, else the pack's. The motion entity resamples the pack's motion to it.
    int outFps = spec.getOptions().getFps() > 0 ? spec.getOptions().getFps() : packFps;
    if (outFps > settings.limits().maxFps()) {
      throw new IOException(
          "fps " + outFps + " is over the limit of " + settings.limits().maxFps());
    }
    Path audio = blobs.open(spec.getAudio());
    long maxSamples = (long) (settings.limits().maxAudioSeconds() * enc.sampleRate());
    WindowPublisher publisher =
        new WindowPublisher(spec, cause, w, enc.featureDim(), packFps, outFps);
    FeatureWindower windower = encoder.windower(w, publisher::add);
    long[] decoded = {0};
    long total =
        AudioDecoder.decode(
            audio,
            enc.sampleRate(),
            samples -> {
              if (jobs.isStopped(jobId)) {
                throw new java.util.concurrent.CancellationException(
                    "job " + jobId + " was stopped");
              }
              decoded[0] += samples.remaining();
              if (decoded[0] > maxSamples) {
                throw new IOException(
                    "audio is longer than the limit of "
                        + settings.limits().maxAudioSeconds()
                        + " s");
              }
              windower.accept(samples);
              publisher.awaitBelow(MAX_IN_FLIGHT);
            });
    int totalFrames = (int) Math.round((double) total / enc.hopSamples());
    if (totalFrames == 0) {
      throw new IOException("audio has no samples (shorter than one video frame)");
    }
    int totalWindows = (totalFrames + w - 1) / w;
    double seconds = (double) total / enc.sampleRate();
    int outputFrames =
        dev.actorfarm.runtime.motion.FrameRates.totalOutputFrames(
            seconds, outFps, packFps, (totalWindows - 1) * w);
    windower.finish(totalWindows);
    publisher.finish(totalFrames, outputFrames);
    JobPlan plan =
        JobPlan.newBuilder()
            .setHeader(Headers.create("JobPlan", jobId, source, cause))
            .setSpec(spec)
            .setTotalFrames(outputFrames)
            .setTotalWindows(totalWindows)
            .setWindowFrames(w)
            .setAudioSeconds(seconds)
            .setFps(outFps)
            .setSound(spec.getAudio())
            .build();
    kafka.send(Topics.JOB_PLANS, Topic.jobKey(jobId), plan).get();
    kafka
        .jobEvent(
            jobId,
            source,
            JobEvent.newBuilder().setState(JobState.GENERATING).setTotalFrames(outputFrames))
        .get();
  }

  /**
   * Publishes a job's feature windows in order, holding the most recent one back until the next one
   * (or the end of the audio) shows whether it is the last, which its record must say.
   */
  private final class WindowPublisher {
    private final JobSpec spec;
    private final String cause;
    private final int windowFrames;
    private final int featureDim;
    private final InFlightSends inFlight = new InFlightSends("features");
    private final int packFps;
    private final int outFps;
    private int heldIndex = -1;
    private float[] heldFeatures;

    WindowPublisher(
        JobSpec spec, String cause, int windowFrames, int featureDim, int packFps, int outFps) {
      this.spec = spec;
      this.cause = cause;
      this.windowFrames = windowFrames;
      this.featureDim = featureDim;
      this.packFps = packFps;
      this.outFps = outFps;
    }

    void add(int index, float[] features) {
      if (heldIndex >= 0) {
        publish(heldIndex, heldFeatures, windowFrames, 0);
      }
      heldIndex = index;
      heldFeatures = features;
    }

    void finish(int totalFrames, int outputFrames) throws IOException {
      publish(heldIndex, heldFeatures, totalFrames - heldIndex * windowFrames, outputFrames);
      awaitBelow(0);
    }

    /** Publishes a window; {@code outputFrames} is the job's total on the last one, else 0. */
    private void publish(int index, float[] features, int frameCount, int outputFrames) {
      boolean last = outputFrames > 0;
      AudioFeatures record =
          AudioFeatures.newBuilder()
              .setHeader(Headers.create("AudioFeatures", spec.getJobId(), source, cause))
              .setSpec(spec)
              .setWindowIndex(index)
              .setFirstFrame(index * windowFrames)
              .setFrameCount(frameCount)
              .setLast(last)
              .setFeatures(Tensors.ofFloats(features, 1, windowFrames, featureDim))
              .setOutputFps(outFps)
              .setTotalOutputFrames(outputFrames)
              .build();
      inFlight.add(kafka.send(Topics.AUDIO_FEATURES, Topic.jobKey(spec.getJobId()), record));
      FarmMetrics.AUDIO_SECONDS.inc(frameCount / (double) packFps);
    }

    void awaitBelow(int limit) throws IOException {
      inFlight.awaitBelow(limit);
    }
  }
}
