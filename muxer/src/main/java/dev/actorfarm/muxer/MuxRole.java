package dev.actorfarm.muxer;

import dev.actorfarm.protocol.JobPlan;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.WorkerPool;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.FarmKafka;
import dev.actorfarm.runtime.kafka.KafkaPartitionShards;
import dev.actorfarm.runtime.kafka.RoleStream;
import dev.actorfarm.runtime.kafka.ShardAsks;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.kafka.ConsumerRebalanceEvent;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.pattern.StatusReply;

/**
 * The mux role: Cluster Sharding of {@link MuxJob} with shards aligned to the {@code farm.segments}
 * consumer group's partitions, fed by that group and by the {@code farm.job-plans} group (whose
 * plans sharding routes to wherever the job's entity lives).
 */
public final class MuxRole {

  /** Consumer group of the segment reports; the plans group is this plus "-plans". */
  public static final String GROUP = "farm-muxer";

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

  private MuxRole() {}

  /** Starts the role; returns the controls of its two consumers. */
  public static List<Consumer.DrainingControl<Done>> start(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
      BlobStore blobs) {
    MuxJob.Deps deps =
        new MuxJob.Deps(
            kafka, blobs, settings, jobs, system.dispatchers().lookup(WorkerPool.BLOCKING));
    String typeName = MuxJob.TYPE_KEY.name();
    ActorRef<ShardingEnvelope<MuxJob.Command>> shards =
        ClusterSharding.get(system)
            .init(
                Entity.of(MuxJob.TYPE_KEY, ctx -> MuxJob.create(ctx.getEntityId(), deps))
                    .withMessageExtractor(
                        KafkaPartitionShards.<MuxJob.Command>extractor(settings.workPartitions()))
                    .withAllocationStrategy(
                        KafkaPartitionShards.allocationStrategy(system, typeName)));
    ActorRef<ConsumerRebalanceEvent> listener =
        system.systemActorOf(
            KafkaPartitionShards.rebalanceListener(system, typeName),
            "mux-rebalance-listener",
            Props.empty());
    String source = settings.source("mux");
    ShardAsks asks = ShardAsks.start(system, "mux-shard-asks");
    Consumer.DrainingControl<Done> plans =
        RoleStream.run(
            system,
            kafka,
            settings,
            jobs,
            Topics.JOB_PLANS,
            GROUP + "-plans",
            source,
            1,
            (JobPlan p) -> p.getSpec().getJobId(),
            (plan, record) ->
                ask(
                    system,
                    asks,
                    shards,
                    plan.getSpec().getJobId(),
                    record.value(),
                    MuxJob.PlanReady::new));
    Consumer.DrainingControl<Done> segments =
        RoleStream.run(
            system,
            RoleStream.consumerSettings(system, kafka, settings, GROUP),
            Subscriptions.topics(Topics.SEGMENTS.name())
                .withRebalanceListener(Adapter.toClassic(listener)),
            new RoleStream.Intake<>(
                kafka,
                settings.retry(),
                jobs,
                Topics.SEGMENTS,
                source,
                (SegmentRendered s) -> s.getHeader().getJobId(),
                (segment, record) ->
                    ask(
                        system,
                        asks,
                        shards,
                        segment.getHeader().getJobId(),
                        record.value(),
                        MuxJob.SegmentReady::new)),
            1);
    return List.of(plans, segments);
  }

  private static java.util.concurrent.CompletionStage<Done> ask(
      ActorSystem<?> system,
      ShardAsks asks,
      ActorRef<ShardingEnvelope<MuxJob.Command>> shards,
      String jobId,
      byte[] record,
      BiFunction<byte[], ActorRef<StatusReply<Done>>, MuxJob.Command> message) {
    return asks.track(
        AskPattern.askWithStatus(
            shards,
            replyTo -> new ShardingEnvelope<>(Topic.jobKey(jobId), message.apply(record, replyTo)),
            ASK_TIMEOUT,
            system.scheduler()));
  }
}
