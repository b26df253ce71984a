package dev.actorfarm.motion;

import dev.actorfarm.protocol.AudioFeatures;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.KafkaPartitionShards;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.kafka.ShardAsks;
import dev.actorfarm.runtime.pack.ModelPack;
import java.time.Duration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.kafka.ConsumerRebalanceEvent;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Consumer;

/**
 * The motion role: Cluster Sharding of {@link MotionSession} with Kafka-partition-aligned shard
 * allocation, fed by the {@code farm.audio-features} consumer group named after the entity type.
 */
public final class MotionRole {

  /** Longest a window may wait for its entity: covers a shard moving after a rebalance. */
  private static final Duration WINDOW_TIMEOUT = Duration.ofSeconds(15);

  /** The Pekko cluster role of the nodes that run this role (where the scheduler lives). */
  public static final String CLUSTER_ROLE = "motion";

  private MotionRole() {}

  /** Initialises sharding on {@code system} and starts the consumer. */
  public static Consumer.DrainingControl<Done> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      ModelPack pack,
      BlobStore blobs)
      throws ai.onnxruntime.OrtException {
    MotionGeneratorStage generator =
        new MotionGeneratorStage(pack, settings.executionProvider(), settings.intraOpThreads());
    String source = settings.source("motion");
    String typeName = MotionSession.TYPE_KEY.name();
    // One render scheduler in the cluster, on a motion node; every node talks to it through a
    // proxy, and it moves to another motion node when its node leaves.
    ActorRef<RenderScheduler.Command> scheduler =
        ClusterSingleton.get(system)
            .init(
                SingletonActor.of(
                        Behaviors.supervise(
                                RenderScheduler.create(jobs, kafka, settings, Topics.RENDER_GROUP))
                            .onFailure(SupervisorStrategy.restart()),
                        "render-scheduler")
                    .withSettings(ClusterSingletonSettings.create(system).withRole(CLUSTER_ROLE)));
    MotionSession.Deps deps =
        new MotionSession.Deps(
            generator,
            kafka,
            jobs,
            source,
            settings.motionSimulatedLatency(),
            blobs,
            scheduler,
            settings.scheduling().tick());
    ActorRef<ShardingEnvelope<MotionSession.Command>> shards =
        ClusterSharding.get(system)
            .init(
                Entity.of(
                        MotionSession.TYPE_KEY,
                        ctx -> MotionSession.create(ctx.getEntityId(), deps))
                    .withMessageExtractor(
                        KafkaPartitionShards.<MotionSession.Command>extractor(
                            settings.workPartitions()))
                    .withAllocationStrategy(
                        KafkaPartitionShards.allocationStrategy(system, typeName))
                    .withEntityProps(WorkerPool.BLOCKING));
    jobs.onTransition(
        s -> {
          if (s.state() == dev.actorfarm.protocol.JobState.CANCELLED) {
            // An idle entity gets no further window to notice the cancel: remove its checkpoint
            // now (idempotent on every motion node; an entity mid-window removes it again).
            kafka.tombstone(
                Topics.MOTION_CHECKPOINTS, dev.actorfarm.protocol.Topic.jobKey(s.jobId()));
          }
        });
    ActorRef<ConsumerRebalanceEvent> listener =
        system.systemActorOf(
            KafkaPartitionShards.rebalanceListener(system, typeName),
            "motion-rebalance-listener",
            org.apache.pekko.actor.typed.Props.empty());
    ShardAsks asks = ShardAsks.start(system, "motion-shard-asks");
    return RoleStream.run(
        system,
        RoleStream.consumerSettings(system, kafka, settings, typeName),
        Subscriptions.topics(Topics.AUDIO_FEATURES.name())
            .withRebalanceListener(Adapter.toClassic(listener)),
        new RoleStream.Intake<>(
            kafka,
            settings.retry(),
            jobs,
            Topics.AUDIO_FEATURES,
            source,
            (AudioFeatures f) -> f.getSpec().getJobId(),
            (features, record) -> {
              String jobId = features.getSpec().getJobId();
              return asks.track(
                  org.apache.pekko.actor.typed.javadsl.AskPattern
                      .<ShardingEnvelope<MotionSession.Command>, Done>askWithStatus(
                          shards,
                          replyTo ->
                              new ShardingEnvelope<>(
                                  jobId,
                                  new MotionSession.GenerateWindow(
                                      jobId, features.getWindowIndex(), record.value(), replyTo)),
                          WINDOW_TIMEOUT,
                          system.scheduler()));
            }),
        settings.motionParallelism());
  }
}
