package dev.actorfarm.launcher.api;

import dev.actorfarm.launcher.DirectionOptions;
import dev.actorfarm.launcher.EmbeddedFarm;
import dev.actorfarm.launcher.InputValidator;
import dev.actorfarm.launcher.JobClient;
import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.JobShare;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.direction.Directions;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The jobs behind the HTTP API: submission (validation, import into the blob store, queueing),
 * their states as the farm's events describe them, cancel, and where their output and segments are.
 * Independent of HTTP, so that the routes stay a thin translation.
 */
public final class JobService {

  /** A refused request: the HTTP status and the one-line reason returned to the client. */
  public static final class ApiException extends Exception {
    private final int status;

    public ApiException(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** What a client asks to render: input files on this server plus options. */
  public record Submission(
      Path portrait,
      Path audio,
      Path driving,
      String portraitLabel,
      String audioLabel,
      String drivingLabel,
      int fps,
      long seed,
      String faceBox,
      boolean crop,
      String clientToken,
      int priority,
      int maxWorkers,
      String emotion,
      String cues) {

    /** A submission without direction. */
    public Submission(
        Path portrait,
        Path audio,
        Path driving,
        String portraitLabel,
        String audioLabel,
        String drivingLabel,
        int fps,
        long seed,
        String faceBox,
        boolean crop,
        String clientToken,
        int priority,
        int maxWorkers) {
      this(
          portrait,
          audio,
          driving,
          portraitLabel,
          audioLabel,
          drivingLabel,
          fps,
          seed,
          faceBox,
          crop,
          clientToken,
          priority,
          maxWorkers,
          null,
          null);
    }
  }

  /** A job as the API shows it. */
  public record JobView(
      String id,
      JobState state,
      double progress,
      int framesDone,
      int totalFrames,
      Double etaSeconds,
      String error,
      long submittedMs,
      long updatedMs,
      boolean outputReady,
      int priority,
      boolean paused,
      int maxWorkers,
      Double share,
      int windowsWaiting,
      int windowsInRender) {}

  /** The result of a submission: the job and whether this request created it. */
  public record Submitted(JobView job, boolean created) {}

  private final EmbeddedFarm farm;
  private final JobClient client;
  private final Map<String, JobSpec> specs = new ConcurrentHashMap<>();

  public JobService(EmbeddedFarm farm) {
    this.farm = farm;
    this.client = new JobClient(farm.kafka(), farm.blobs(), farm.settings().source("api"));
  }

  public EmbeddedFarm farm() {
    return farm;
  }

  /**
   * Validates the inputs and queues the job. The job id comes from the client token when one is
   * given (a retried POST returns the same job) and otherwise from the inputs' content and options
   * (the same inputs are the same job). A job that already exists and did not fail or get cancelled
   * is returned as it is, not queued again.
   */
  public Submitted submit(Submission s) throws ApiException {
    JobStates.Controls controls;
    try {
      if (s.fps() != 0) {
        InputValidator.checkFps(s.fps(), farm.settings().limits());
      }
      controls = InputValidator.controls(s.priority(), s.maxWorkers());
    } catch (InputValidator.BadInputException e) {
      throw new ApiException(400, apiWording(e.getMessage()));
    }
    String tokenId = null;
    if (s.clientToken() != null && !s.clientToken().isEmpty()) {
      if (s.clientToken().length() > 200) {
        throw new ApiException(400, "client_token may be at most 200 characters");
      }
      tokenId = "job-" + JobClient.sha256Hex("client-token", s.clientToken()).substring(0, 16);
      Optional<JobView> existing = get(tokenId);
      if (existing.isPresent()) {
        return new Submitted(existing.get(), false);
      }
    }
    InputValidator.Validated inputs;
    InputValidator.ValidatedDriving driving = null;
    try {
      if (s.driving() != null) {
        driving =
            InputValidator.validateDriving(
                s.portrait(),
                s.driving(),
                s.audio(),
                InputValidator.parseFaceBox(s.faceBox()),
                s.fps(),
                farm.settings().limits());
        inputs = driving.portrait();
      } else {
        inputs =
            InputValidator.validate(
                s.portrait(),
                s.audio(),
                InputValidator.parseFaceBox(s.faceBox()),
                farm.settings().limits());
      }
    } catch (InputValidator.BadInputException e) {
      String why = e.getMessage().replace(s.portrait().toString(), s.portraitLabel());
      if (s.audio() != null) {
        why = why.replace(s.audio().toString(), s.audioLabel());
      }
      if (s.driving() != null) {
        why =
            why.replace(s.driving().toString(), s.drivingLabel())
                .replace("driving video " + s.driving().getFileName(), s.drivingLabel());
      }
      throw new ApiException(422, apiWording(why));
    }
    dev.actorfarm.protocol.Direction direction;
    try {
      direction =
          DirectionOptions.direction(
              s.cues() == null || s.cues().isBlank()
                  ? null
                  : Directions.parseJson(s.cues(), "cues"),
              s.emotion(),
              Map.of());
      DirectionOptions.check(
          direction,
          driving != null ? driving.video().seconds() : inputs.audioSeconds(),
          driving != null,
          farm.pack().manifest().motionGenerator().controls());
    } catch (Directions.BadDirection | InputValidator.BadInputException e) {
      throw new ApiException(422, apiWording(e.getMessage()));
    }
    JobClient.Prepared job;
    try {
      job =
          client.prepare(
              new JobClient.Request(
                  s.portrait(),
                  s.audio(),
                  s.fps() == 0 && driving == null ? farm.pack().manifest().fps() : s.fps(),
                  s.seed(),
                  inputs.faceGiven() ? inputs.faceBox() : null,
                  s.crop(),
                  farm.pack().id(),
                  driving != null ? driving.video().seconds() : inputs.audioSeconds(),
                  s.driving(),
                  driving == null ? 0 : driving.video().fps(),
                  direction),
              tokenId);
    } catch (java.io.IOException e) {
      throw new ApiException(503, "cannot store the inputs: " + e.getMessage());
    }
    synchronized (this) {
      Optional<JobStates.Status> previous = farm.jobs().get(job.jobId());
      JobSpec known = specs.get(job.jobId());
      boolean active =
          previous
              .map(p -> p.state() != JobState.FAILED && p.state() != JobState.CANCELLED)
              .orElse(known != null);
      if (active) {
        return new Submitted(get(job.jobId()).orElseThrow(), false);
      }
      try {
        client.enqueue(job, controls);
      } catch (Exception e) {
        throw new ApiException(503, "cannot queue the job: " + e.getMessage());
      }
      specs.put(job.jobId(), job.spec());
    }
    return new Submitted(get(job.jobId()).orElseThrow(), true);
  }

  /** Every job the farm knows, newest first. */
  public List<JobView> list() {
    List<JobView> out = new ArrayList<>();
    Map<String, JobStates.Status> all = farm.jobs().all();
    for (String id : all.keySet()) {
      get(id).ifPresent(out::add);
    }
    for (String id : specs.keySet()) {
      if (!all.containsKey(id)) {
        get(id).ifPresent(out::add);
      }
    }
    out.sort(Comparator.comparingLong(JobView::submittedMs).reversed());
    return out;
  }

  /** One job; a job queued by this node whose first event is not back yet shows as SUBMITTED. */
  public Optional<JobView> get(String id) {
    if (!JobClient.validJobId(id)) {
      return Optional.empty();
    }
    Optional<JobStates.Status> status = farm.jobs().get(id);
    JobSpec spec = specs.get(id);
    if (status.isEmpty()) {
      if (spec == null) {
        return Optional.empty();
      }
      JobStates.Controls c = farm.jobs().controls(id);
      return Optional.of(
          new JobView(
              id,
              JobState.SUBMITTED,
              0,
              0,
              0,
              null,
              null,
              spec.getSubmittedMs(),
              spec.getSubmittedMs(),
              false,
              c.priority(),
              c.paused(),
              c.maxWorkers(),
              null,
              0,
              0));
    }
    JobStates.Status s = status.get();
    long submitted = spec != null ? spec.getSubmittedMs() : s.submittedMs();
    double progress =
        s.state() == JobState.COMPLETED
            ? 1
            : s.totalFrames() > 0 ? Math.min(1, s.framesDone() / (double) s.totalFrames()) : 0;
    JobStates.Controls c = farm.jobs().controls(id);
    var share = s.terminal() ? Optional.<JobShare>empty() : farm.jobs().share(id);
    Double eta = null;
    if (!s.terminal() && c.paused()) {
      eta = null;
    } else if (!s.terminal()) {
      eta = etaSeconds(progress, submitted);
    } else if (s.state() == JobState.COMPLETED) {
      eta = 0.0;
    }
    boolean outputReady =
        s.state() == JobState.COMPLETED
            && s.output() != null
            && Files.isRegularFile(farm.blobs().resolve(s.output().getUri()));
    return Optional.of(
        new JobView(
            id,
            s.state(),
            progress,
            s.framesDone(),
            s.totalFrames(),
            eta,
            s.state() == JobState.FAILED || s.state() == JobState.CANCELLED ? s.reason() : null,
            submitted > 0 ? submitted : s.updatedMs(),
            s.updatedMs(),
            outputReady,
            c.priority(),
            c.paused() && !s.terminal(),
            c.maxWorkers(),
            share.map(JobShare::getShare).orElse(null),
            share.map(JobShare::getWaiting).orElse(0),
            share.map(JobShare::getInRender).orElse(0)));
  }

  /**
   * Seconds left, from the time since submission and the progress (null before any progress): the
   * job's own recent pace, so it already reflects its share of the workers.
   */
  public static Double etaSeconds(double progress, long submittedMs) {
    if (progress <= 0 || submittedMs <= 0) {
      return null;
    }
    double elapsed = (System.currentTimeMillis() - submittedMs) / 1e3;
    return elapsed * (1 - progress) / progress;
  }

  /** Sets a job's priority (0..100) while it runs; returns its view. */
  public JobView setPriority(String id, int priority) throws ApiException {
    try {
      InputValidator.checkPriority(priority, "priority");
    } catch (InputValidator.BadInputException e) {
      throw new ApiException(400, e.getMessage());
    }
    return control(id, c -> new JobStates.Controls(priority, c.paused(), c.maxWorkers()));
  }

  /** Pauses a job: it is admitted no new render work; the windows in hand finish. */
  public JobView pause(String id) throws ApiException {
    return control(id, c -> new JobStates.Controls(c.priority(), true, c.maxWorkers()));
  }

  /** Resumes a paused job where it stopped. */
  public JobView resume(String id) throws ApiException {
    return control(id, c -> new JobStates.Controls(c.priority(), false, c.maxWorkers()));
  }

  private JobView control(String id, java.util.function.UnaryOperator<JobStates.Controls> change)
      throws ApiException {
    JobView job = get(id).orElseThrow(() -> new ApiException(404, "no job " + id));
    if (JobStates.isTerminal(job.state())) {
      throw new ApiException(
          409,
          "job " + id + " is already " + job.state().name().toLowerCase(java.util.Locale.ROOT));
    }
    JobStates.Controls next = change.apply(farm.jobs().controls(id));
    try {
      client.control(id, next);
    } catch (Exception e) {
      throw new ApiException(503, "cannot change job " + id + ": " + e.getMessage());
    }
    awaitControls(id, next);
    return get(id).orElseThrow();
  }

  /** Waits (briefly) until this node's view shows the change, so the answer shows it too. */
  private void awaitControls(String id, JobStates.Controls expected) {
    long deadline = System.nanoTime() + 3_000_000_000L;
    while (!farm.jobs().controls(id).equals(expected) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Cancels a job that has not finished; returns its view after the cancel. */
  public JobView cancel(String id, String reason) throws ApiException {
    JobView job = get(id).orElseThrow(() -> new ApiException(404, "no job " + id));
    if (JobStates.isTerminal(job.state())) {
      throw new ApiException(
          409,
          "job " + id + " is already " + job.state().name().toLowerCase(java.util.Locale.ROOT));
    }
    try {
      client.cancel(id, reason);
    } catch (Exception e) {
      throw new ApiException(503, "cannot cancel job " + id + ": " + e.getMessage());
    }
    // The CANCELLED event is on its way back from the broker; answer with what it will say.
    return new JobView(
        id,
        JobState.CANCELLED,
        job.progress(),
        job.framesDone(),
        job.totalFrames(),
        null,
        reason,
        job.submittedMs(),
        System.currentTimeMillis(),
        false,
        job.priority(),
        false,
        job.maxWorkers(),
        null,
        0,
        0);
  }

  /** The finished MP4 of a completed job. */
  public Path output(String id) throws ApiException {
    JobView job = get(id).orElseThrow(() -> new ApiException(404, "no job " + id));
    if (!job.outputReady()) {
      throw new ApiException(
          409,
          "job "
              + id
              + " has no output yet (it is "
              + job.state().name().toLowerCase(java.util.Locale.ROOT)
              + ")");
    }
    return farm.blobs().resolve(farm.jobs().get(id).orElseThrow().output().getUri());
  }

  private final Map<String, dev.actorfarm.protocol.JobPlan> plans =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The job's spec: from this node's submissions, else read back from {@code farm.jobs} (a job
   * submitted elsewhere or before a restart).
   */
  public Optional<JobSpec> spec(String id) {
    return known(id, specs, Topics.JOBS, JobRequested::getSpec);
  }

  /**
   * The job's plan (its output frame rate, frames and sound track), once the stage that analyses
   * its source has published it; read back from the compacted {@code farm.job-plans} and kept, as a
   * plan never changes.
   */
  public Optional<dev.actorfarm.protocol.JobPlan> plan(String id) {
    return known(id, plans, Topics.JOB_PLANS, plan -> plan);
  }

  /**
   * A fact of job {@code id} kept in {@code cache}, else read from the job's last good record on
   * {@code topic} (an undecodable one is its consumer's to dead-letter) and kept.
   */
  private <V extends com.google.protobuf.Message, T> Optional<T> known(
      String id,
      Map<String, T> cache,
      dev.actorfarm.protocol.Topic<V> topic,
      java.util.function.Function<V, T> fact) {
    if (!JobClient.validJobId(id)) {
      return Optional.empty();
    }
    T known = cache.get(id);
    if (known != null) {
      return Optional.of(known);
    }
    T found = null;
    for (ConsumerRecord<String, byte[]> r :
        TopicReader.readKey(farm.kafka().bootstrapServers(), topic.name(), id)) {
      try {
        found = r.value() == null ? null : fact.apply(topic.parse(r.value()));
      } catch (Exception e) {
        // An undecodable record was dead-lettered by its consumer; the last good one wins.
      }
    }
    if (found != null) {
      cache.put(id, found);
    }
    return Optional.ofNullable(found);
  }

  /** The blob store folder of a job's rendered segments. */
  public Path segmentsDir(String id) {
    return farm.blobs()
        .resolve(BlobStore.SCHEME + dev.actorfarm.runtime.blob.JobPaths.segments(id));
  }

  /** The validator speaks of the CLI's options; the API's fields have other names. */
  private static String apiWording(String message) {
    return message
        .replace("--face-box", "face_box")
        .replace("--fps", "fps")
        .replace("--emotion", "emotion");
  }
}
