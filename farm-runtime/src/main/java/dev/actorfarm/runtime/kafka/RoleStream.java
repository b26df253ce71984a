package dev.actorfarm.runtime.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.runtime.FarmSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.kafka.CommitterSettings;
import org.apache.pekko.kafka.ConsumerMessage;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.Subscription;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Committer;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.stream.javadsl.Keep;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shape every role's intake shares: a committable Kafka source on one topic, a handler per
 * record with bounded parallelism, offsets committed only after the handler's effect completed.
 *
 * <p>A record whose value does not parse, or whose handler fails, goes to {@code farm.dead-letters}
 * with the reason and its job is marked failed; the partition moves on, so one bad record never
 * blocks other jobs.
 */
public final class RoleStream {

  private static final Logger log = LoggerFactory.getLogger(RoleStream.class);

  /** Processes one parsed record; the returned stage completes when its effect is durable. */
  @FunctionalInterface
  public interface Handler<V> {
    CompletionStage<Done> handle(V value, ConsumerRecord<String, byte[]> record);
  }

  private RoleStream() {}

  /** Consumer settings of the farm for {@code groupId}. */
  public static ConsumerSettings<String, byte[]> consumerSettings(
      ActorSystem<?> system, FarmKafka kafka, FarmSettings settings, String groupId) {
    return ConsumerSettings.create(system, new StringDeserializer(), new ByteArrayDeserializer())
        .withBootstrapServers(kafka.bootstrapServers())
        .withGroupId(groupId)
        .withProperty(
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            String.valueOf(settings.kafkaSessionTimeout().toMillis()))
        .withProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 << 20));
  }

  /** Starts the stream; the returned control drains and stops it. */
  public static <V extends Message> Consumer.DrainingControl<Done> run(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      Topic<V> topic,
      String groupId,
      String source,
      int parallelism,
      Function<V, String> jobIdOf,
      Handler<V> handler) {
    return run(
        system,
        consumerSettings(system, kafka, settings, groupId),
        Subscriptions.topics(topic.name()),
        kafka,
        topic,
        source,
        parallelism,
        jobIdOf,
        handler);
  }

  /** Starts the stream with explicit consumer settings and subscription. */
  public static <V extends Message> Consumer.DrainingControl<Done> run(
      ActorSystem<?> system,
      ConsumerSettings<String, byte[]> consumerSettings,
      Subscription subscription,
      FarmKafka kafka,
      Topic<V> topic,
      String source,
      int parallelism,
      Function<V, String> jobIdOf,
      Handler<V> handler) {
    return Consumer.committableSource(consumerSettings, subscription)
        .mapAsync(
            parallelism,
            msg ->
                process(msg.record(), kafka, topic, source, jobIdOf, handler)
                    .thenApply(done -> (ConsumerMessage.Committable) msg.committableOffset()))
        .toMat(Committer.sink(CommitterSettings.create(system)), Keep.both())
        .mapMaterializedValue(Consumer::createDrainingControl)
        .run(system);
  }

  private static <V extends Message> CompletionStage<Done> process(
      ConsumerRecord<String, byte[]> record,
      FarmKafka kafka,
      Topic<V> topic,
      String source,
      Function<V, String> jobIdOf,
      Handler<V> handler) {
    V value;
    try {
      value = topic.parse(record.value());
    } catch (InvalidProtocolBufferException e) {
      String jobId = jobIdFromKey(record.key());
      return deadLetterAndFail(
          kafka,
          record,
          jobId,
          source,
          "undecodable " + topic.name() + " record: " + e.getMessage());
    }
    String jobId = jobIdOf.apply(value);
    CompletionStage<Done> handled;
    try {
      handled = handler.handle(value, record);
    } catch (RuntimeException e) {
      handled = CompletableFuture.failedFuture(e);
    }
    return handled.exceptionallyCompose(
        error -> {
          Throwable cause = unwrap(error);
          log.warn("Job {}: {} failed on {}", jobId, source, topic.name(), cause);
          return deadLetterAndFail(kafka, record, jobId, source, describe(cause));
        });
  }

  private static CompletionStage<Done> deadLetterAndFail(
      FarmKafka kafka,
      ConsumerRecord<String, byte[]> record,
      String jobId,
      String source,
      String reason) {
    CompletableFuture<?> dl = kafka.deadLetter(record, jobId, source, reason);
    CompletableFuture<?> failed =
        jobId.isEmpty()
            ? CompletableFuture.completedFuture(null)
            : kafka.jobFailed(jobId, source, reason);
    return CompletableFuture.allOf(dl, failed).thenApply(v -> Done.getInstance());
  }

  /** The job id part of a record key ({@code jobId} or {@code jobId/window}). */
  public static String jobIdFromKey(String key) {
    if (key == null) {
      return "";
    }
    int slash = key.indexOf('/');
    return slash < 0 ? key : key.substring(0, slash);
  }

  /** A one-line reason for a failure, for job events and dead letters. */
  public static String describe(Throwable error) {
    Throwable cause = unwrap(error);
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }

  private static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
