package dev.actorfarm.render;

import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.RenderCapacity;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.pack.ModelPack;
import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Consumer;

/**
 * The render role: the {@code farm.motion-windows} consumer group feeding a pool of {@link
 * RenderWorker}s, one per device slot. In-flight windows are bounded by the pool size.
 */
public final class RenderRole {

  /** Kafka consumer group of the render workers. */
  public static final String GROUP = Topics.RENDER_GROUP;

  /** Longest one window may take to render on a slow CPU node. */
  private static final Duration WINDOW_TIMEOUT = Duration.ofMinutes(10);

  private RenderRole() {}

  public static Consumer.DrainingControl<Done> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs) {
    return start(
        system, kafka, settings, jobs, pack, blobs, RenderEngine.Supply.onDemand(pack, settings));
  }

  /**
   * Starts the role; its workers take their sessions from {@code engines} (prepared while the rest
   * of the node started: see {@link RenderEngine.Supply#prepare}).
   */
  public static Consumer.DrainingControl<Done> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs,
      RenderEngine.Supply engines) {
    int workers = settings.render().workers();
    ActorRef<RenderWorker.Command> pool =
        WorkerPool.spawn(
            system,
            "render-workers",
            workers,
            RenderWorker.create(kafka, blobs, pack, settings, jobs, engines));
    return RoleStream.run(
        system,
        // The client id tells the render scheduler how many workers this member brings.
        RoleStream.consumerSettings(system, kafka, settings, GROUP)
            .withClientId(RenderCapacity.clientId(GROUP, settings.nodeName(), workers)),
        Subscriptions.topics(Topics.MOTION_WINDOWS.name()),
        new RoleStream.Intake<>(
            kafka,
            settings.retry(),
            jobs,
            Topics.MOTION_WINDOWS,
            settings.source("render"),
            (MotionWindow w) -> w.getSpec().getJobId(),
            (window, record) ->
                AskPattern.<RenderWorker.Command, Done>askWithStatus(
                    pool,
                    replyTo -> new RenderWorker.RenderWindow(record.value(), replyTo),
                    WINDOW_TIMEOUT,
                    system.scheduler())),
        workers);
  }
}
