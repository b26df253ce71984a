package dev.actorfarm.runtime.kafka;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.kafka.ConsumerRebalanceEvent;
import org.apache.pekko.kafka.TopicPartitionsAssigned;

/**
 * Shard allocation aligned with Kafka's partition assignment: the shard of a job is the Kafka
 * partition its key hashes to (Kafka's murmur2 partitioner), and a rebalance listener moves the
 * shards of the partitions this node's consumer was assigned onto this node. A job's entity
 * therefore lives on the node that consumes its feature windows: no hop between nodes.
 */
public final class KafkaPartitionShards {

  private KafkaPartitionShards() {}

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
