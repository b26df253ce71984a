package dev.actorfarm.runtime.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.kafka.ConsumerRebalanceEvent;
import org.apache.pekko.kafka.TopicPartitionsAssigned;
import org.apache.pekko.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shard allocation aligned with Kafka's partition assignment: the shard of a job is the Kafka
 * partition its key hashes to (Kafka's murmur2 partitioner), and a rebalance listener moves the
 * shards of the partitions this node's consumer was assigned onto this node. A job's entity
 * therefore lives on the node that consumes its feature windows: no hop between nodes.
 */
public final class KafkaPartitionShards {

  private static final Logger log = LoggerFactory.getLogger(KafkaPartitionShards.class);

  /** How long a removed member's region may block shard moves before they go ahead anyway. */
  private static final java.time.Duration STALE_REGION_GRACE = java.time.Duration.ofSeconds(15);

  private KafkaPartitionShards() {}

  /**
   * The shard allocation strategy of an entity type: Pekko's {@link
   * ExternalShardAllocationStrategy} (a shard goes where the rebalance listener said its partition
   * is consumed), except that no shard is moved while a member of the cluster is unreachable.
   *
   * <p>Why: when a node crashes, Kafka hands its partitions to a survivor after the consumer
   * session timeout, usually before the split-brain resolver has downed and removed the dead
   * member. The plain strategy then asks the coordinator to move the shard off the dead region, a
   * hand-off that cannot complete, and every message for the shard waits for the hand-off timeout.
   * Skipping the rebalance instead (also while a removed member's region is still in the
   * coordinator's state) lets the coordinator drop the dead region's shards; the next message then
   * allocates the shard at its partition's new consumer.
   */
  public static ExternalShardAllocationStrategy allocationStrategy(
      ActorSystem<?> system, String typeKeyName) {
    return new ExternalShardAllocationStrategy(
        system, typeKeyName, Timeout.create(java.time.Duration.ofSeconds(5))) {
      private long staleSince;

      @Override
      public scala.concurrent.Future<scala.collection.immutable.Set<String>> rebalance(
          scala.collection.immutable.Map<
                  org.apache.pekko.actor.ActorRef, scala.collection.immutable.IndexedSeq<String>>
              current,
          scala.collection.immutable.Set<String> inProgress) {
        var state = Cluster.get(system).state();
        java.util.Set<Address> members = new java.util.HashSet<>();
        boolean down = false;
        for (var m : state.getMembers()) {
          members.add(m.address());
          down |= m.status() == MemberStatus.down();
        }
        // A region on a member already removed, which the coordinator has not dropped yet; if it
        // lingers past the grace period, a rebalance (bounded by the hand-off timeout) frees it.
        boolean staleRegion =
            scala.jdk.javaapi.CollectionConverters.asJava(current.keySet()).stream()
                .map(region -> region.path().address())
                .anyMatch(a -> a.hasGlobalScope() && !members.contains(a));
        long now = System.nanoTime();
        if (!staleRegion) {
          staleSince = 0;
        } else if (staleSince == 0) {
          staleSince = now;
        }
        boolean unstable =
            !state.getUnreachable().isEmpty()
                || down
                || (staleRegion && now - staleSince < STALE_REGION_GRACE.toNanos());
        if (unstable) {
          log.debug("{}: a member is unreachable, down or gone; no shard moves now", typeKeyName);
          return scala.concurrent.Future$.MODULE$.successful(
              scala.collection.immutable.Set$.MODULE$.<String>empty());
        }
        return super.rebalance(current, inProgress);
      }
    };
  }

  /** Maps an entity (a job id) to the shard named after its Kafka partition. */
  public static <M> ShardingMessageExtractor<ShardingEnvelope<M>, M> extractor(int partitions) {
    return new ShardingMessageExtractor<>() {
      @Override
      public String entityId(ShardingEnvelope<M> envelope) {
        return envelope.entityId();
      }

      @Override
      public String shardId(String entityId) {
        return String.valueOf(FarmKafka.partitionOf(entityId, partitions));
      }

      @Override
      public M unwrapMessage(ShardingEnvelope<M> envelope) {
        return envelope.message();
      }
    };
  }

  /** A rebalance listener that moves the assigned partitions' shards onto this node. */
  public static Behavior<ConsumerRebalanceEvent> rebalanceListener(
      ActorSystem<?> system, String typeKeyName) {
    ExternalShardAllocationClient client =
        ExternalShardAllocation.get(system).getClient(typeKeyName);
    Address self = Cluster.get(system).selfMember().address();
    return Behaviors.receive(ConsumerRebalanceEvent.class)
        .onMessage(
            TopicPartitionsAssigned.class,
            assigned -> {
              Map<String, Address> locations = new HashMap<>();
              for (TopicPartition tp :
                  scala.jdk.javaapi.CollectionConverters.asJava(assigned.topicPartitions())) {
                locations.put(String.valueOf(tp.partition()), self);
              }
              client.setShardLocations(locations);
              return Behaviors.same();
            })
        .build();
  }
}
