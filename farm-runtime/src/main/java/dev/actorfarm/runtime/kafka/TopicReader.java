package dev.actorfarm.runtime.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a topic partition from its beginning up to its end at the time of the call, outside any
 * consumer group: how entities rebuild their state (a motion checkpoint, a job's segment reports)
 * and how the CLI reads job events.
 */
public final class TopicReader {

  private TopicReader() {}

  /** A consumer with no group and no commits. */
  public static KafkaConsumer<String, byte[]> consumer(String bootstrapServers) {
    return new KafkaConsumer<>(
        KafkaClients.with(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                16 << 20,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                20)),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /** The partition's records whose key passes {@code keys}, oldest first. */
  public static List<ConsumerRecord<String, byte[]>> read(
      String bootstrapServers, String topic, int partition, Predicate<String> keys) {
    try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers)) {
      TopicPartition tp = new TopicPartition(topic, partition);
      return read(consumer, List.of(tp), keys);
    }
  }

  /** The records of {@code key} in the partition Kafka's partitioner puts it in, oldest first. */
  public static List<ConsumerRecord<String, byte[]>> readKey(
      String bootstrapServers, String topic, String key) {
    try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers)) {
      int partitions = consumer.partitionsFor(topic).size();
      TopicPartition tp = new TopicPartition(topic, FarmKafka.partitionOf(key, partitions));
      return read(consumer, List.of(tp), key::equals);
    }
  }

  /**
   * The records of {@code key} timestamped {@code sinceMs} or later, oldest first: the partition is
   * entered through the broker's time index ({@code offsetsForTimes}), so the cost is that of the
   * records since then, not of the partition's whole history. A record timestamped earlier is not
   * read (records are timestamped by their producers, so the caller leaves a margin for clocks).
   */
  public static List<ConsumerRecord<String, byte[]>> readKeySince(
      String bootstrapServers, String topic, String key, long sinceMs) {
    try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrapServers)) {
      int partitions = consumer.partitionsFor(topic).size();
      TopicPartition tp = new TopicPartition(topic, FarmKafka.partitionOf(key, partitions));
      consumer.assign(List.of(tp));
      var found = consumer.offsetsForTimes(Map.of(tp, sinceMs), Duration.ofSeconds(30)).get(tp);
      if (found == null) {
        return List.of(); // nothing that recent
      }
      return read(consumer, List.of(tp), key::equals, Map.of(tp, found.offset()));
    }
  }

  /** Every record of the given partitions whose key passes {@code keys}, per partition in order. */
  public static List<ConsumerRecord<String, byte[]>> read(
      KafkaConsumer<String, byte[]> consumer, List<TopicPartition> tps, Predicate<String> keys) {
    return read(consumer, tps, keys, Map.of());
  }

  /** As {@link #read(KafkaConsumer, List, Predicate)}, from {@code from}'s offsets where given. */
  private static List<ConsumerRecord<String, byte[]>> read(
      KafkaConsumer<String, byte[]> consumer,
      List<TopicPartition> tps,
      Predicate<String> keys,
      Map<TopicPartition, Long> from) {
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    from.forEach(consumer::seek);
    Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!caughtUp(consumer, end)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + tps + " to its end within 60 s");
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))
            && keys.test(r.key())) {
          out.add(r);
        }
      }
    }
    return out;
  }

  private static boolean caughtUp(
      KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
