package dev.actorfarm.runtime;

import com.google.protobuf.Message;
import com.typesafe.config.Config;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import dev.actorfarm.runtime.kafka.FarmKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A real Kafka broker for tests: the farm's embedded KRaft broker in a temporary directory, with
 * the farm's topics created, and helpers to read what the code under test produced.
 */
public final class TestBroker implements AutoCloseable {

  private final EmbeddedKafka broker;
  private final FarmKafka kafka;
  private final FarmSettings settings;
  private final Config config;
  private final JobStates jobs;

  public TestBroker(Path dir) throws Exception {
    Files.createDirectories(dir);
    this.config = FarmConfig.load(Map.of("actorfarm.data-dir", dir.toString()));
    this.settings = FarmSettings.create(config);
    this.broker = EmbeddedKafka.start(dir.resolve("kafka"), 0);
    FarmKafka.ensureTopics(broker.bootstrapServers(), settings);
    this.kafka = new FarmKafka(broker.bootstrapServers());
    this.jobs = JobStates.follow(broker.bootstrapServers());
  }

  /** The job states folded from this broker's {@code farm.job-events}. */
  public JobStates jobs() {
    return jobs;
  }

  public FarmKafka kafka() {
    return kafka;
  }

  public FarmSettings settings() {
    return settings;
  }

  public Config config() {
    return config;
  }

  /** Every record of {@code topic} so far, parsed, with its key. */
  public <V extends Message> List<Map.Entry<String, V>> readAll(Topic<V> topic) throws Exception {
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic.name())
          .forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<Map.Entry<String, V>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic.name() + " to its end");
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.add(Map.entry(r.key(), topic.parse(r.value())));
        }
      }
      return out;
    }
  }

  @Override
  public void close() {
    jobs.close();
    kafka.close();
    broker.close();
  }
}
