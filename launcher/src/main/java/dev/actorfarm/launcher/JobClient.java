package dev.actorfarm.launcher;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.Direction;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobControl;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.RenderOptions;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Submits jobs to a farm and follows their events: what the CLI and the tests use. */
public final class JobClient {

  private final FarmKafka kafka;
  private final BlobStore blobs;
  private final String source;

  /** What a job id may look like: it names a folder of the blob store. */
  private static final java.util.regex.Pattern JOB_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * True for ids the farm accepts: 1-64 letters, digits, '.', '_' or '-', not starting with '.'.
   */
  public static boolean validJobId(String id) {
    return id != null && JOB_ID.matcher(id).matches() && !id.startsWith(".");
  }

  public JobClient(FarmKafka kafka, BlobStore blobs, String source) {
    this.kafka = kafka;
    this.blobs = blobs;
    this.source = source;
  }

  /**
   * What to render: the portrait performs the narration {@code audio}, or the driving video {@code
   * driving} (with its own sound, or {@code audio} instead when given). {@code fps} 0 means the
   * driving video's rate.
   */
  public record Request(
      Path portrait,
      Path audio,
      int fps,
      long seed,
      FaceBox faceBox,
      boolean cropOnly,
      String packId,
      double audioSecondsHint,
      Path driving,
      double drivingFpsHint,
      Direction direction) {

    /** A job without direction. */
    public Request(
        Path portrait,
        Path audio,
        int fps,
        long seed,
        FaceBox faceBox,
        boolean cropOnly,
        String packId,
        double audioSecondsHint,
        Path driving,
        double drivingFpsHint) {
      this(
          portrait,
          audio,
          fps,
          seed,
          faceBox,
          cropOnly,
          packId,
          audioSecondsHint,
          driving,
          drivingFpsHint,
          null);
    }

    /** A narration job. */
    public Request(
        Path portrait,
        Path audio,
        int fps,
        long seed,
        FaceBox faceBox,
        boolean cropOnly,
        String packId,
        double audioSecondsHint) {
      this(portrait, audio, fps, seed, faceBox, cropOnly, packId, audioSecondsHint, null, 0);
    }
  }

  /** The inputs imported into the blob store and the job's id. */
  public record Prepared(JobSpec spec) {
    public String jobId() {
      return spec.getJobId();
    }
  }

  /**
   * Imports the inputs into the blob store and derives the job id from the inputs' content and the
   * options, so that the same request is the same job.
   */
  public Prepared prepare(Request r) throws IOException {
    return prepare(r, null);
  }

  /** As {@link #prepare(Request)}, with the job id given ({@code null}: derived). */
  public Prepared prepare(Request r, String givenJobId) throws IOException {
    BlobRef portrait = blobs.importFile(r.portrait(), "inputs/portraits");
    BlobRef audio = r.audio() == null ? null : blobs.importFile(r.audio(), "inputs/audio");
    BlobRef driving = r.driving() == null ? null : blobs.importFile(r.driving(), "inputs/driving");
    RenderOptions.Builder opts =
        RenderOptions.newBuilder().setFps(r.fps()).setSeed(r.seed()).setCropOnly(r.cropOnly());
    if (r.faceBox() != null) {
      opts.setFaceBox(r.faceBox());
    }
    if (r.direction() != null) {
      opts.setDirection(r.direction());
    }
    RenderOptions options = opts.build();
    String jobId =
        givenJobId != null
            ? givenJobId
            : derivedJobId(
                portrait.getSha256(),
                audio == null ? null : audio.getSha256(),
                driving == null ? null : driving.getSha256(),
                options,
                r.packId());
    JobSpec.Builder spec =
        JobSpec.newBuilder()
            .setJobId(jobId)
            .setPortrait(portrait)
            .setOptions(options)
            .setModelPack(r.packId())
            .setOutputUri(BlobStore.SCHEME + dev.actorfarm.runtime.blob.JobPaths.output(jobId))
            .setAudioSecondsHint(r.audioSecondsHint())
            .setSubmittedMs(System.currentTimeMillis());
    if (driving == null) {
      spec.setAudio(audio);
    } else {
      dev.actorfarm.protocol.DrivingVideo.Builder d =
          dev.actorfarm.protocol.DrivingVideo.newBuilder()
              .setVideo(driving)
              .setSecondsHint(r.audioSecondsHint())
              .setFpsHint(r.drivingFpsHint());
      if (audio != null) {
        d.setAudio(audio);
      }
      spec.setDriving(d);
    }
    return new Prepared(spec.build());
  }

  /** Follows the events of a job that is already in the farm (a resumed one). */
  public Follower follow(String jobId) {
    return new Follower(jobId);
  }

  /**
   * Cancels a job: publishes CANCELLED (every role stops working on it and the render and mux nodes
   * remove its files) and removes its motion checkpoint.
   */
  public void cancel(String jobId, String reason) throws Exception {
    kafka
        .jobEvent(
            jobId, source, JobEvent.newBuilder().setState(JobState.CANCELLED).setReason(reason))
        .get();
    kafka.tombstone(Topics.MOTION_CHECKPOINTS, Topic.jobKey(jobId)).get();
  }

  /** Queues the job at the default priority; events from now on are what {@link #follow} reads. */
  public Follower submit(Prepared job) throws Exception {
    return submit(job, JobStates.Controls.DEFAULT);
  }

  /** Queues the job with its scheduling settings; events from now on are what follow reads. */
  public Follower submit(Prepared job, JobStates.Controls controls) throws Exception {
    Follower follower = new Follower(job.jobId());
    try {
      enqueue(job, controls);
    } catch (Exception e) {
      follower.close();
      throw e;
    }
    return follower;
  }

  /**
   * Sets a job's scheduling settings (priority, pause, worker cap): the whole state, in the
   * compacted {@code farm.job-controls}, which the render scheduler reads within a tick.
   */
  public void control(String jobId, JobStates.Controls controls) throws Exception {
    kafka
        .send(
            Topics.JOB_CONTROLS,
            Topic.jobKey(jobId),
            JobControl.newBuilder()
                .setHeader(Headers.create("JobControl", jobId, source, null))
                .setPriority(controls.priority())
                .setPaused(controls.paused())
                .setMaxWorkers(controls.maxWorkers())
                .build())
        .get();
  }

  /** Queues the job without following it (the HTTP API reads states from {@link JobStates}). */
  public void enqueue(Prepared job, JobStates.Controls controls) throws Exception {
    // The settings first, so that the scheduler knows the job's priority from its first window.
    control(job.jobId(), controls);
    JobRequested request =
        JobRequested.newBuilder()
            .setHeader(Headers.create("JobRequested", job.jobId(), source, null))
            .setSpec(job.spec())
            .build();
    kafka.send(Topics.JOBS, Topic.jobKey(job.jobId()), request).get();
    kafka.jobEvent(job.jobId(), source, JobEvent.newBuilder().setState(JobState.SUBMITTED)).get();
  }

  /** Reads one job's events from the partition its key lives in, from the submission on. */
  public final class Follower implements AutoCloseable {
    private final String jobId;
    private final KafkaConsumer<String, byte[]> consumer;

    private Follower(String jobId) {
      this.jobId = jobId;
      this.consumer =
          new KafkaConsumer<>(
              dev.actorfarm.runtime.kafka.KafkaClients.with(
                  Map.of(
                      ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                      kafka.bootstrapServers(),
                      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                      false)),
              new StringDeserializer(),
              new ByteArrayDeserializer());
      List<PartitionInfo> partitions = consumer.partitionsFor(Topics.JOB_EVENTS.name());
      int p = FarmKafka.partitionOf(jobId, partitions.size());
      TopicPartition tp = new TopicPartition(Topics.JOB_EVENTS.name(), p);
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      consumer.position(tp);
    }

    /**
     * Passes each event of the job to {@code onEvent} until it completes, fails or is cancelled.
     */
    public JobEvent follow(Consumer<JobEvent> onEvent, Duration timeout)
        throws TimeoutException, InvalidProtocolBufferException {
      return follow(onEvent, timeout, () -> false);
    }

    /** As {@link #follow(Consumer, Duration)}, giving up when {@code farmStopped} turns true. */
    public JobEvent follow(
        Consumer<JobEvent> onEvent,
        Duration timeout,
        java.util.function.BooleanSupplier farmStopped)
        throws TimeoutException, InvalidProtocolBufferException {
      return until(
          e -> JobStates.isTerminal(e.getState()), onEvent, timeout, farmStopped, "finish");
    }

    /**
     * Reads the job's events until one in {@code state} (or a terminal one) arrives; returns it.
     */
    public JobEvent awaitState(JobState state, Duration timeout)
        throws TimeoutException, InvalidProtocolBufferException {
      return until(
          e -> e.getState() == state || JobStates.isTerminal(e.getState()),
          e -> {},
          timeout,
          () -> false,
          "reach " + state);
    }

    private JobEvent until(
        java.util.function.Predicate<JobEvent> last,
        Consumer<JobEvent> onEvent,
        Duration timeout,
        java.util.function.BooleanSupplier farmStopped,
        String what)
        throws TimeoutException, InvalidProtocolBufferException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (farmStopped.getAsBoolean()) {
          throw new IllegalStateException("the farm stopped before job " + jobId + " finished");
        }
        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
          if (!jobId.equals(rec.key())) {
            continue;
          }
          JobEvent event = Topics.JOB_EVENTS.parse(rec.value());
          onEvent.accept(event);
          if (last.test(event)) {
            // Events after this one are read by the next call.
            consumer.seek(new TopicPartition(rec.topic(), rec.partition()), rec.offset() + 1);
            return event;
          }
        }
      }
      throw new TimeoutException("job " + jobId + " did not " + what + " within " + timeout);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /** The hex SHA-256 of the parts, each followed by a 0 byte (so that part boundaries count). */
  /**
   * The job id of a submission: a hash of the inputs' content, the options and the pack, so the
   * same request is the same job (and a rerun resumes it). The options enter as {@link
   * #canonicalOptions}, a format this class owns, never a library's {@code toString()}: an upgrade
   * must not change every id and strand every resumable job. {@code JobIdTest} pins one id.
   */
  static String derivedJobId(
      String portraitSha, String audioSha, String drivingSha, RenderOptions o, String packId) {
    String hash =
        drivingSha == null
            ? sha256Hex(portraitSha, audioSha, canonicalOptions(o), packId)
            : sha256Hex(
                portraitSha,
                "driving",
                drivingSha,
                audioSha == null ? "" : audioSha,
                canonicalOptions(o),
                packId);
    return "job-" + hash.substring(0, 16);
  }

  /**
   * The options that make a job different, in a fixed text form: {@code v1;fps=..;seed=..;
   * crop_only=..;face_box=x,y,w,h|none;expression=..;head=..;direction=..}. A new option that
   * changes the output must be added here (and changes only the ids of jobs that set it away from
   * its default).
   */
  static String canonicalOptions(RenderOptions o) {
    StringBuilder b = new StringBuilder("v1");
    b.append(";fps=").append(o.getFps());
    b.append(";seed=").append(o.getSeed());
    b.append(";crop_only=").append(o.getCropOnly());
    b.append(";face_box=");
    if (o.hasFaceBox()) {
      var f = o.getFaceBox();
      b.append(f.getX()).append(',').append(f.getY()).append(',');
      b.append(f.getWidth()).append(',').append(f.getHeight());
    } else {
      b.append("none");
    }
    if (o.getExpressionIntensity() != 0) {
      b.append(";expression=").append(Float.toString(o.getExpressionIntensity()));
    }
    if (o.getHeadMotionScale() != 0) {
      b.append(";head=").append(Float.toString(o.getHeadMotionScale()));
    }
    if (o.hasDirection()) {
      b.append(";direction=").append(canonicalDirection(o.getDirection()));
    }
    return b.toString();
  }

  /**
   * A direction in a fixed text form: {@code {name=value,...}} knobs sorted by name, then {@code
   * |time:emotion:intensity:ease{controls}} per cue in order.
   */
  static String canonicalDirection(Direction d) {
    StringBuilder b = new StringBuilder();
    b.append(sorted(d.getControlsMap()));
    for (var c : d.getCuesList()) {
      b.append('|').append(Double.toString(c.getTimeS()));
      b.append(':').append(c.getEmotion());
      b.append(':').append(Float.toString(c.getIntensity()));
      b.append(':').append(Float.toString(c.getEaseS()));
      b.append(sorted(c.getControlsMap()));
    }
    return b.toString();
  }

  private static String sorted(Map<String, Float> m) {
    StringBuilder b = new StringBuilder("{");
    new java.util.TreeMap<>(m)
        .forEach(
            (k, v) -> {
              if (b.length() > 1) {
                b.append(',');
              }
              b.append(k).append('=').append(Float.toString(v));
            });
    return b.append('}').toString();
  }

  public static String sha256Hex(String... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String p : parts) {
        md.update(p.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
