package dev.actorfarm.launcher;

import com.typesafe.config.Config;
import dev.actorfarm.protocol.FaceBox;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.blob.BlobStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farm render}: renders one job on the embedded farm and writes the MP4. */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Render a portrait speaking a narration, or performing a driving video, into an MP4, on the"
          + " embedded single-machine farm.",
      "The first run builds the reference model pack into the data directory."
    })
public final class RenderCommand implements Callable<Integer> {

  /** Exit code of refused input. */
  public static final int EXIT_BAD_INPUT = 2;

  /** Exit code of a job that failed in the farm. */
  public static final int EXIT_JOB_FAILED = 1;

  @Option(names = "--portrait", required = true, description = "Portrait image (PNG, JPEG, ...).")
  Path portrait;

  @Option(
      names = "--audio",
      description =
          "Narration (wav, mp3, flac, ogg, m4a, ...); with --driving, the sound track that"
              + " replaces the driving video's own.")
  Path audio;

  @Option(
      names = "--driving",
      description =
          "Driving video (any container and codec FFmpeg reads): the portrait performs its"
              + " face, with its sound, at its frame rate.")
  Path driving;

  @Option(names = "--out", required = true, description = "Output MP4 file.")
  Path out;

  @Option(
      names = "--fps",
      description =
          "Output frame rate (24, 25, 30, 50, 60, ...). Default: the driving video's, or the"
              + " pack's (25) for a narration.")
  Integer fps;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Seed of head motion and blinks (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--data-dir",
      defaultValue = "farm-data",
      description = "Broker log, blobs and packs (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--model-pack",
      description = "Model pack directory (default: the reference pack).")
  Path modelPack;

  @Option(
      names = "--face-box",
      description = "Face box x,y,w,h in portrait pixels (skips face detection).")
  String faceBox;

  @Option(
      names = "--crop",
      description = "Output the animated face crop instead of the whole portrait.")
  boolean crop;

  @Option(
      names = "--timeout",
      defaultValue = "PT6H",
      description = "Give up after this long (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(
      names = "--job-id",
      description = {
        "Job id (letters, digits, '.', '_', '-').",
        "Default: derived from the inputs and options, so the same command resumes its job."
      })
  String jobId;

  @CommandLine.Mixin JobControlCommands.SchedulingOptions scheduling;

  @CommandLine.Mixin DirectionOptions directionOptions;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("actorfarm.data-dir", dataDir.toAbsolutePath().toString());
    // One node owns this data directory: its consumers keep their identity across reruns, so a
    // rerun after a crash resumes at once (see actorfarm.conf).
    overrides.put("actorfarm.kafka.static-membership", true);
    if (modelPack != null) {
      overrides.put("actorfarm.model-pack.dir", modelPack.toAbsolutePath().toString());
    }
    Config config = FarmConfig.load(overrides);
    FarmSettings settings = FarmSettings.create(config);
    // A rerun (this data directory already has a broker log): its broker starts while the inputs
    // are checked, the two longest steps of a resume. A first run checks its inputs first, so that
    // bad input leaves no farm behind.
    java.util.concurrent.CompletableFuture<dev.actorfarm.runtime.kafka.EmbeddedKafka> broker = null;
    if (settings.embeddedKafka()
        && Files.isRegularFile(settings.dataDir().resolve("kafka/meta.properties"))) {
      System.setProperty("actorfarm.log.dir", settings.dataDir().toString());
      broker = EmbeddedFarm.startBroker(settings);
    }
    InputValidator.Validated inputs;
    InputValidator.ValidatedDriving drivingInputs = null;
    dev.actorfarm.runtime.jobs.JobStates.Controls controls;
    int outFps;
    dev.actorfarm.protocol.Direction direction;
    try {
      if (driving == null && audio == null) {
        throw new InputValidator.BadInputException(
            "give a narration with --audio or a driving video with --driving");
      }
      if (fps != null) {
        InputValidator.checkFps(fps, settings.limits());
      }
      controls = scheduling.controls();
      if (jobId != null && !JobClient.validJobId(jobId)) {
        throw new InputValidator.BadInputException(
            "--job-id must be 1-64 letters, digits, '.', '_' or '-' (not starting with '.'),"
                + " got '"
                + jobId
                + "'");
      }
      FaceBox box = InputValidator.parseFaceBox(faceBox);
      if (driving != null) {
        InputValidator.checkLandmarkModel(settings.video().landmarkModel());
        drivingInputs =
            InputValidator.validateDriving(
                portrait, driving, audio, box, fps == null ? 0 : fps, settings.limits());
        inputs = drivingInputs.portrait();
        outFps = drivingInputs.fps();
      } else {
        inputs = checkNarration(settings, box);
        outFps = fps == null ? 0 : fps; // 0: the pack's, known once the farm is up
      }
      direction = directionOptions.direction();
      DirectionOptions.check(
          direction,
          drivingInputs != null ? drivingInputs.video().seconds() : inputs.audioSeconds(),
          driving != null,
          DirectionOptions.packControls(settings));
      StartupTimeline.mark("inputs checked");
      toRecord.run();
    } catch (InputValidator.BadInputException e) {
      err.println("farm: error: " + e.getMessage());
      err.flush();
      if (broker != null) {
        broker
            .thenAccept(dev.actorfarm.runtime.kafka.EmbeddedKafka::close)
            .exceptionally(x -> null)
            .join();
      }
      return EXIT_BAD_INPUT;
    }
    System.setProperty("actorfarm.log.dir", settings.dataDir().toString());
    long started = System.nanoTime();
    err.println("Starting the embedded farm (data in " + settings.dataDir() + ") ...");
    // The job's portrait, for the render workers to prepare while the farm starts.
    dev.actorfarm.render.RenderEngine.Next next;
    try {
      next =
          new dev.actorfarm.render.RenderEngine.Next(
              portrait,
              dev.actorfarm.runtime.blob.BlobStore.sha256(portrait),
              inputs.faceGiven() ? inputs.faceBox() : null,
              crop);
    } catch (java.io.IOException e) {
      next = null; // the job's own import says what is wrong
    }
    try (EmbeddedFarm farm =
        EmbeddedFarm.start(
            config, java.util.EnumSet.allOf(EmbeddedFarm.Role.class), broker, next)) {
      if (outFps == 0) {
        outFps = farm.pack().manifest().fps();
      }
      double seconds =
          drivingInputs != null ? drivingInputs.video().seconds() : inputs.audioSeconds();
      JobClient client = new JobClient(farm.kafka(), farm.blobs(), settings.source("cli"));
      JobClient.Prepared job =
          client.prepare(
              new JobClient.Request(
                  portrait,
                  audio,
                  driving != null && fps == null ? 0 : outFps,
                  seed,
                  inputs.faceGiven() ? inputs.faceBox() : null,
                  crop,
                  farm.pack().id(),
                  seconds,
                  driving,
                  drivingInputs == null ? 0 : drivingInputs.video().fps(),
                  direction),
              jobId);
      err.println(
          "Job "
              + job.jobId()
              + ": "
              + portrait.getFileName()
              + (driving != null
                  ? " driven by " + driving.getFileName()
                  : " + " + audio.getFileName()));
      var previous = farm.jobs().get(job.jobId()).orElse(null);
      int resumedFrames = 0;
      double[] firstSegment = {-1};
      JobEvent last;
      if (previous != null
          && previous.state() == JobState.COMPLETED
          && Files.isRegularFile(farm.blobs().resolve(previous.output().getUri()))) {
        err.println("Job " + job.jobId() + " was already rendered; copying its output.");
        last =
            JobEvent.newBuilder()
                .setState(JobState.COMPLETED)
                .setOutput(previous.output())
                .setTotalFrames(previous.totalFrames())
                .setFramesDone(previous.totalFrames())
                .build();
      } else {
        boolean resume = previous != null && !previous.terminal();
        if (resume) {
          resumedFrames = previous.framesDone();
          err.printf(
              Locale.ROOT,
              "Resuming job %s (%s) from frame %d of %s: %d segments already rendered%n",
              job.jobId(),
              previous.state().name().toLowerCase(Locale.ROOT),
              previous.framesDone(),
              previous.totalFrames() > 0 ? String.valueOf(previous.totalFrames()) : "?",
              renderedSegments(farm, job.jobId()));
        } else if (previous != null) {
          err.println(
              "Job "
                  + job.jobId()
                  + " "
                  + previous.state().name().toLowerCase(Locale.ROOT)
                  + " before ("
                  + previous.reason()
                  + "); submitting it again.");
        }
        Progress progress =
            new Progress(
                err,
                System.console() != null && !"true".equals(System.getenv("CI")),
                (int) Math.round(seconds * outFps),
                resumedFrames);
        try (JobClient.Follower follower =
            resume ? client.follow(job.jobId()) : client.submit(job, controls)) {
          if (resume) {
            // A rerun may change the priority or the cap; a pause is kept.
            client.control(
                job.jobId(),
                new dev.actorfarm.runtime.jobs.JobStates.Controls(
                    controls.priority(),
                    farm.jobs().controls(job.jobId()).paused(),
                    controls.maxWorkers()));
          }
          last = follower.follow(progress::onEvent, timeout, farm::stopping);
        } catch (IllegalStateException e) {
          progress.finish();
          err.println(
              "farm: error: " + e.getMessage() + "; see " + settings.dataDir().resolve("farm.log"));
          return EXIT_JOB_FAILED;
        }
        progress.finish();
        firstSegment[0] = progress.firstSegmentSeconds();
      }
      if (last.getState() != JobState.COMPLETED) {
        err.println(
            "farm: error: job "
                + job.jobId()
                + " "
                + last.getState().name().toLowerCase(Locale.ROOT)
                + ": "
                + last.getReason());
        return EXIT_JOB_FAILED;
      }
      Path target = out.toAbsolutePath();
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".farm-", ".mp4");
      Files.copy(
          farm.blobs().resolve(last.getOutput().getUri()),
          tmp,
          StandardCopyOption.REPLACE_EXISTING);
      BlobStore.moveAtomically(tmp, target);
      double wall = (System.nanoTime() - started) / 1e9;
      double videoSeconds = last.getTotalFrames() / (double) outFps;
      err.printf(
          Locale.ROOT,
          "Done: %s  %.2f s of video, %d frames, wall %.1f s, realtime factor %.2f"
              + " (video seconds per wall second)%n",
          out,
          videoSeconds,
          last.getTotalFrames(),
          wall,
          videoSeconds / wall);
      if (firstSegment[0] >= 0 && last.getWallSeconds() > 0) {
        err.printf(
            Locale.ROOT,
            "Farm: %.1f s from submission to the output, first segment after %.1f s%n",
            last.getWallSeconds(),
            firstSegment[0]);
      }
      return 0;
    }
  }

  /**
   * Checks the portrait and the narration, or takes what an earlier run of the same inputs in this
   * data directory found ({@link CheckedInputs}): a rerun resumes sooner.
   */
  private InputValidator.Validated checkNarration(FarmSettings settings, FaceBox box)
      throws InputValidator.BadInputException {
    CheckedInputs record;
    try {
      record = CheckedInputs.of(settings.dataDir(), portrait, audio, box, settings.limits());
    } catch (java.io.IOException e) {
      record = null; // unreadable: the check below says so in its own words
    }
    if (record != null) {
      var before = record.lookup();
      if (before.isPresent()) {
        StartupTimeline.mark("inputs checked before");
        return before.get();
      }
    }
    InputValidator.Validated checked =
        InputValidator.validate(portrait, audio, box, settings.limits());
    if (record != null && checked.faceBox() != null) {
      // kept once every check has passed: a refused command leaves nothing behind
      CheckedInputs finding = record;
      toRecord = () -> finding.store(checked);
    }
    return checked;
  }

  /** Records what the input checks found, once all of them passed ({@link #checkNarration}). */
  private Runnable toRecord = () -> {};

  /** Segments of the job already in the blob store. */
  private static long renderedSegments(EmbeddedFarm farm, String jobId) throws java.io.IOException {
    return farm.blobs().count(dev.actorfarm.runtime.blob.JobPaths.segments(jobId), ".mp4");
  }
}
