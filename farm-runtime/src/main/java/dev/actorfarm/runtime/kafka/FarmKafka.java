package dev.actorfarm.runtime.kafka;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.actorfarm.protocol.DeadLetter;
import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The farm's connection to Kafka: one shared idempotent producer, topic creation, and the
 * dead-letter and job-event helpers every role uses.
 */
public final class FarmKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FarmKafka.class);

  private final String bootstrapServers;
  private final KafkaProducer<String, byte[]> producer;

  public FarmKafka(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // Feature and motion windows are a few hundred KB; leave headroom for large W or D.
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    this.producer =
        new KafkaProducer<>(
            KafkaClients.addTo(props), new StringSerializer(), new ByteArraySerializer());
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * The partition Kafka's default partitioner gives {@code key} among {@code partitions}: where a
   * job's records live, and so the shard of its motion entity.
   */
  public static int partitionOf(String key, int partitions) {
    return org.apache.kafka.common.utils.Utils.toPositive(
            org.apache.kafka.common.utils.Utils.murmur2(
                key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        % partitions;
  }

  /**
   * Waits until the cluster at {@code bootstrapServers} has {@code brokers} brokers registered, so
   * that topics created next get their replicas; false after {@code timeout}.
   */
  public static boolean awaitBrokers(
      String bootstrapServers, int brokers, java.time.Duration timeout)
      throws InterruptedException {
    Map<String, Object> conf =
        KafkaClients.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(conf)) {
      while (System.nanoTime() < deadline) {
        try {
          if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() >= brokers) {
            return true;
          }
        } catch (ExecutionException | TimeoutException e) {
          log.debug("Cluster not described yet: {}", e.getMessage());
        }
        Thread.sleep(200);
      }
    }
    return false;
  }

  /** Creates every topic of {@link Topics#ALL} that does not exist yet. */
  public static void ensureTopics(String bootstrapServers, FarmSettings settings)
      throws InterruptedException {
    ensureTopics(bootstrapServers, settings, 1);
  }

  /**
   * Creates every topic of {@link Topics#ALL} that does not exist yet, with replicas for at least
   * {@code knownBrokers} brokers (those {@link #awaitBrokers} saw register). The count is not taken
   * from {@code describeCluster} alone: that answers from one broker's metadata, which can lag a
   * broker behind the controller's while a cluster forms, and would create the topics with fewer
   * replicas for good.
   */
  public static void ensureTopics(String bootstrapServers, FarmSettings settings, int knownBrokers)
      throws InterruptedException {
    Map<String, Object> conf =
        KafkaClients.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    try (Admin admin = Admin.create(conf)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      // Three replicas where the cluster has three brokers, and then a write needs two of them
      // (the producer's acks=all): a broker may die without losing or refusing a record.
      int brokers =
          Math.max(knownBrokers, admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size());
      short replicas = (short) Math.max(1, Math.min(3, brokers));
      String minIsr = replicas >= 3 ? "2" : "1";
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?> topic : Topics.ALL) {
        if (existing.contains(topic.name())) {
          continue;
        }
        int partitions = topic.partitions() == 1 ? 1 : settings.workPartitions();
        NewTopic nt = new NewTopic(topic.name(), partitions, replicas);
        nt.configs(
            Map.of(
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                minIsr,
                TopicConfig.CLEANUP_POLICY_CONFIG,
                topic.compacted()
                    ? TopicConfig.CLEANUP_POLICY_COMPACT
                    : TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                String.valueOf(16 * 1024 * 1024)));
        missing.add(nt);
      }
      if (!missing.isEmpty()) {
        createTopics(admin, missing);
        log.info(
            "Created topics {} ({} replicas)",
            missing.stream().map(NewTopic::name).toList(),
            replicas);
        // On a cluster of several brokers the new topics reach each broker's metadata a little
        // later: wait for them, so that nothing started next is told they do not exist.
        List<String> names = missing.stream().map(NewTopic::name).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
          try {
            admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
            break;
          } catch (ExecutionException e) {
            if (!(e.getCause()
                    instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)
                || System.nanoTime() > deadline) {
              throw e;
            }
            Thread.sleep(100);
          }
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create the farm's topics on " + bootstrapServers, e);
    }
  }

  /**
   * Creates {@code topics}; one another node created meanwhile is fine. The controller places the
   * replicas among the brokers it has unfenced, which for a moment after they registered can be
   * fewer than the replication factor: that refusal is retried for 30 s.
   */
  private static void createTopics(Admin admin, List<NewTopic> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<NewTopic> left = topics;
    while (!left.isEmpty()) {
      List<NewTopic> retry = new ArrayList<>();
      var results = admin.createTopics(left).values();
      for (NewTopic topic : left) {
        try {
          results.get(topic.name()).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
            continue; // another node of the farm created it meanwhile
          }
          if (!(e.getCause()
                  instanceof org.apache.kafka.common.errors.InvalidReplicationFactorException)
              || System.nanoTime() > deadline) {
            throw e;
          }
          retry.add(topic);
        }
      }
      if (!retry.isEmpty()) {
        Thread.sleep(200);
      }
      left = retry;
    }
  }

  /** Produces {@code value} to {@code topic}; completes when the broker has acknowledged it. */
  public <V extends Message> CompletableFuture<RecordMetadata> send(
      Topic<V> topic, String key, V value) {
    return produce(new ProducerRecord<>(topic.name(), key, value.toByteArray()));
  }

  private CompletableFuture<RecordMetadata> produce(ProducerRecord<String, byte[]> record) {
    CompletableFuture<RecordMetadata> done = new CompletableFuture<>();
    producer.send(
        record,
        (metadata, error) -> {
          if (error != null) {
            done.completeExceptionally(error);
          } else {
            done.complete(metadata);
          }
        });
    return done;
  }

  /** Writes a tombstone for {@code key}: compaction then removes the key from {@code topic}. */
  public CompletableFuture<RecordMetadata> tombstone(Topic<?> topic, String key) {
    return produce(new ProducerRecord<>(topic.name(), key, null));
  }

  /** Publishes a job lifecycle event. */
  public CompletableFuture<RecordMetadata> jobEvent(
      String jobId, String source, JobEvent.Builder event) {
    event.setHeader(Headers.create("JobEvent", jobId, source, null));
    return send(Topics.JOB_EVENTS, Topic.jobKey(jobId), event.build());
  }

  /** Marks a job failed with {@code reason}. */
  public CompletableFuture<RecordMetadata> jobFailed(String jobId, String source, String reason) {
    return jobEvent(
        jobId, source, JobEvent.newBuilder().setState(JobState.FAILED).setReason(reason));
  }

  /** Sends a record that cannot be processed to the dead-letter topic with the reason. */
  public CompletableFuture<RecordMetadata> deadLetter(
      ConsumerRecord<String, byte[]> record, String jobId, String source, String reason) {
    DeadLetter.Builder dl =
        DeadLetter.newBuilder()
            .setHeader(Headers.create("DeadLetter", jobId, source, null))
            .setTopic(record.topic())
            .setPartition(record.partition())
            .setOffset(record.offset())
            .setReason(reason);
    if (record.key() != null) {
      dl.setKey(ByteString.copyFromUtf8(record.key()));
    }
    if (record.value() != null) {
      dl.setValue(ByteString.copyFrom(record.value()));
    }
    log.warn(
        "Dead-lettered {}-{}@{} (job {}): {}",
        record.topic(),
        record.partition(),
        record.offset(),
        jobId,
        reason);
    return send(Topics.DEAD_LETTERS, record.key() == null ? "" : record.key(), dl.build());
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
