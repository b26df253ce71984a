package dev.actorfarm.audio;

import dev.actorfarm.protocol.JobRequested;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.pack.ModelPack;
import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.kafka.javadsl.Consumer;

/** The audio role: the {@code farm.jobs} consumer group feeding a pool of {@link AudioIngest}. */
public final class AudioRole {

  /** Kafka consumer group of the audio role. */
  public static final String GROUP = "farm-audio";

  /**
   * Longest a single job's analysis may take: decoding and encoding run at hundreds of times real
   * time, so two hours of narration take minutes; this only catches a stuck decoder.
   */
  private static final Duration ANALYSIS_TIMEOUT = Duration.ofMinutes(30);

  private AudioRole() {}

  /** Starts the role on {@code system}; the control drains and stops its consumer. */
  public static Consumer.DrainingControl<Done> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs) {
    ActorRef<AudioIngest.Command> pool =
        WorkerPool.spawn(
            system,
            "audio-ingest",
            settings.audioParallelism(),
            AudioIngest.create(kafka, blobs, pack, settings, jobs));
    return RoleStream.run(
        system,
        kafka,
        settings,
        jobs,
        Topics.JOBS,
        GROUP,
        settings.source("audio"),
        settings.audioParallelism(),
        (JobRequested job) -> job.getSpec().getJobId(),
        (job, record) ->
            AskPattern.<AudioIngest.Command, Done>askWithStatus(
                pool,
                replyTo -> new AudioIngest.Ingest(job, replyTo),
                ANALYSIS_TIMEOUT,
                system.scheduler()));
  }
}
