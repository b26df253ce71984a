package dev.actorfarm.video;

import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.pack.ModelPack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.kafka.javadsl.Consumer;

/**
 * The video role: its own {@code farm.jobs} consumer group feeding a pool of {@link VideoIngest};
 * it analyses the driving-video jobs and passes over the narrations, which the audio role's group
 * takes.
 */
public final class VideoRole {

  /** Kafka consumer group of the video role. */
  public static final String GROUP = "farm-video";

  /**
   * Longest one job's analysis may take: two hours of 1080p at the stage's 100-200 fps take 20-40
   * minutes on one core; this only catches a stuck decoder.
   */
  private static final Duration ANALYSIS_TIMEOUT = Duration.ofHours(3);

  private VideoRole() {}

  /** Starts the role on {@code system}; the control drains and stops its consumer. */
  public static Consumer.DrainingControl<Done> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs) {
    Supplier<FaceLandmarks> landmarks = landmarks(settings.video().landmarkModel());
    ActorRef<VideoIngest.Command> pool =
        WorkerPool.spawn(
            system,
            "video-ingest",
            settings.video().parallelism(),
            VideoIngest.create(kafka, blobs, pack, settings, jobs, landmarks));
    return RoleStream.run(
        system,
        kafka,
        settings,
        jobs,
        Topics.JOBS,
        GROUP,
        settings.source("video"),
        settings.video().parallelism(),
        (JobRequested job) -> job.getSpec().getJobId(),
        (job, record) ->
            AskPattern.<VideoIngest.Command, Done>askWithStatus(
                pool,
                replyTo -> new VideoIngest.Ingest(job, replyTo),
                ANALYSIS_TIMEOUT,
                system.scheduler()));
  }

  /**
   * dlib's model, loaded on the first driving-video job (a farm that never sees one never pays the
   * 100 MB); a missing model fails that job with how to install it.
   */
  static Supplier<FaceLandmarks> landmarks(java.nio.file.Path file) {
    return new Supplier<>() {
      private FaceLandmarks loaded;

      @Override
      public synchronized FaceLandmarks get() {
        if (loaded == null) {
          try {
            loaded = FaceLandmarks.load(file);
          } catch (IOException e) {
            throw new UncheckedIOException(describe(file, e), e);
          }
        }
        return loaded;
      }
    };
  }

  private static String describe(java.nio.file.Path file, IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException n && n.getReason() != null) {
      return file + ": " + n.getReason();
    }
    return e.getMessage();
  }
}
