package dev.actorfarm.runtime.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.jobs.JobStates;
import dev.actorfarm.runtime.metrics.FarmMetrics;
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
 * <p>A record of a cancelled or failed job is skipped. A failing handler is retried with backoff
 * (failures of the infrastructure do not count against the job); after the limit the record goes to
 * {@code farm.dead-letters} with the reason and its job fails. A record that does not parse is
 * dead-lettered at once and fails the job its key names (its work would otherwise never finish).
 * Either way the partition moves on, so one bad record never blocks other jobs.
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
    long session = settings.kafkaSessionTimeout().toMillis();
    ConsumerSettings<String, byte[]> cs =
        ConsumerSettings.create(system, new StringDeserializer(), new ByteArrayDeserializer())
            .withBootstrapServers(kafka.bootstrapServers())
            .withProperties(KafkaClients.common())
            .withGroupId(groupId)
            .withProperty(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(session))
            .withProperty(
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                String.valueOf(Math.max(500, session / 3)))
            .withProperty(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 << 20));
    if (settings.kafkaStaticMembership()) {
      cs =
          cs.withGroupInstanceId(
              groupId + "." + settings.nodeName().replaceAll("[^A-Za-z0-9._-]", "_"));
    }
    return cs;
  }

  /** Starts the stream; the returned control drains and stops it. */
  public static <V extends Message> Consumer.DrainingControl<Done> run(
      ActorSystem<?> system,
      FarmKafka kafka,
      FarmSettings settings,
      JobStates jobs,
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
        new Intake<>(kafka, settings.retry(), jobs, topic, source, jobIdOf, handler),
        parallelism);
  }

  /** Starts the stream with explicit consumer settings and subscription. */
  public static <V extends Message> Consumer.DrainingControl<Done> run(
      ActorSystem<?> system,
      ConsumerSettings<String, byte[]> consumerSettings,
      Subscription subscription,
      Intake<V> intake,
      int parallelism) {
    return Consumer.committableSource(consumerSettings, subscription)
        .mapAsync(
            parallelism,
            msg ->
                intake
                    .process(msg.record())
                    .thenApply(done -> (ConsumerMessage.Committable) msg.committableOffset()))
        .toMat(Committer.sink(CommitterSettings.create(system)), Keep.both())
        .mapMaterializedValue(Consumer::createDrainingControl)
        .run(system);
  }

  /**
   * What a role does with each record of its topic: parse it, skip it when its job is stopped, run
   * the handler with bounded retries, and dead-letter it when it cannot be processed.
   */
  public record Intake<V extends Message>(
      FarmKafka kafka,
      FarmSettings.Retry retry,
      JobStates jobs,
      Topic<V> topic,
      String source,
      Function<V, String> jobIdOf,
      Handler<V> handler) {

    /** Completes when the record may be committed: processed, skipped or dead-lettered. */
    public CompletionStage<Done> process(ConsumerRecord<String, byte[]> record) {
      String stage = FarmMetrics.stageOf(source);
      FarmMetrics.ITEMS_IN.labelValues(stage).inc();
      FarmMetrics.ITEMS_IN_PROGRESS.labelValues(stage).inc();
      CompletionStage<Done> done;
      try {
        done = processRecord(record);
      } catch (RuntimeException e) {
        done = CompletableFuture.failedFuture(e);
      }
      return done.whenComplete(
          (d, e) -> {
            FarmMetrics.ITEMS_IN_PROGRESS.labelValues(stage).dec();
            FarmMetrics.ITEMS_OUT.labelValues(stage).inc();
          });
    }

    private CompletionStage<Done> processRecord(ConsumerRecord<String, byte[]> record) {
      V value;
      try {
        value = topic.parse(record.value() == null ? new byte[0] : record.value());
      } catch (InvalidProtocolBufferException e) {
        return deadLetter(
            record,
            jobIdFromKey(record.key()),
            "undecodable " + topic.name() + " record: " + e.getMessage(),
            true,
            "undecodable");
      }
      String jobId = jobIdOf.apply(value);
      if (jobId.isEmpty()) {
        return deadLetter(record, "", topic.name() + " record names no job", false, "no_job");
      }
      return attempt(value, record, jobId, 1, 0, false);
    }

    private CompletionStage<Done> attempt(
        V value,
        ConsumerRecord<String, byte[]> record,
        String jobId,
        int attempt,
        int infra,
        boolean waitingForDisk) {
      if (jobs.isStopped(jobId)) {
        log.debug("Job {} is stopped; skipping {}@{}", jobId, topic.name(), record.offset());
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      CompletionStage<Done> handled;
      try {
        handled = handler.handle(value, record);
      } catch (RuntimeException e) {
        handled = CompletableFuture.failedFuture(e);
      }
      return handled
          .handle(
              (done, error) -> {
                if (error == null || jobs.isStopped(jobId)) {
                  return CompletableFuture.completedFuture(Done.getInstance());
                }
                Throwable cause = unwrap(error);
                if (isNodeGone(cause)) {
                  // This node can no longer do the work (its shard region stopped: the node was
                  // downed or is stopping). The record is neither the job's fault nor done: fail
                  // the stream uncommitted, so that the partition's next owner processes it.
                  log.warn(
                      "Job {}: {} cannot process {}@{} here any more ({}); leaving it uncommitted"
                          + " for the partition's next owner",
                      jobId,
                      source,
                      topic.name(),
                      record.offset(),
                      describe(cause));
                  return CompletableFuture.<Done>failedFuture(new NodeGoneException(cause));
                }
                if (dev.actorfarm.runtime.blob.DiskSpace.isDiskFull(cause)) {
                  return waitForDisk(value, record, jobId, attempt, infra, waitingForDisk, cause);
                }
                boolean infrastructure = isInfrastructure(cause);
                int nextAttempt = infrastructure ? attempt : attempt + 1;
                int nextInfra = infrastructure ? infra + 1 : infra;
                if (nextAttempt > retry.maxAttempts()
                    || nextInfra > retry.maxInfrastructureAttempts()) {
                  log.warn("Job {}: {} failed on {}", jobId, source, topic.name(), cause);
                  return deadLetter(record, jobId, describe(cause), true, "failed");
                }
                var pause = retry.backoff(nextAttempt + nextInfra - 1);
                FarmMetrics.RETRIES
                    .labelValues(
                        FarmMetrics.stageOf(source),
                        infrastructure ? "infrastructure" : "processing")
                    .inc();
                log.info(
                    "Job {}: {} on {}@{} failed ({}{}); retrying in {} ms",
                    jobId,
                    source,
                    topic.name(),
                    record.offset(),
                    describe(cause),
                    infrastructure ? ", infrastructure" : ", attempt " + attempt,
                    pause.toMillis());
                return CompletableFuture.supplyAsync(
                        () -> null,
                        CompletableFuture.delayedExecutor(
                            pause.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                    .thenCompose(x -> attempt(value, record, jobId, nextAttempt, nextInfra, false));
              })
          .thenCompose(Function.identity());
    }

    /**
     * A full disk is neither the work's fault nor a passing hiccup: the record waits, retried every
     * {@code maxBackoff} without counting against the job, until space is freed or the job is
     * cancelled. The job's status says why from the first refusal on, so that an operator sees what
     * to free; the next progress clears it.
     */
    private CompletionStage<Done> waitForDisk(
        V value,
        ConsumerRecord<String, byte[]> record,
        String jobId,
        int attempt,
        int infra,
        boolean alreadyWaiting,
        Throwable cause) {
      FarmMetrics.RETRIES.labelValues(FarmMetrics.stageOf(source), "disk_full").inc();
      if (!alreadyWaiting) {
        log.warn(
            "Job {}: {} on {}@{} waits: {}",
            jobId,
            source,
            topic.name(),
            record.offset(),
            describe(cause));
        kafka.jobEvent(
            jobId,
            source,
            JobEvent.newBuilder().setState(jobs.waitingState(jobId)).setReason(describe(cause)));
      }
      return CompletableFuture.supplyAsync(
              () -> null,
              CompletableFuture.delayedExecutor(
                  retry.maxBackoff().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
          .thenCompose(x -> attempt(value, record, jobId, attempt, infra, true));
    }

    private CompletionStage<Done> deadLetter(
        ConsumerRecord<String, byte[]> record,
        String jobId,
        String reason,
        boolean failJob,
        String reasonClass) {
      FarmMetrics.DEAD_LETTERS.labelValues(FarmMetrics.stageOf(source), reasonClass).inc();
      CompletableFuture<?> dl = kafka.deadLetter(record, jobId, source, reason);
      CompletableFuture<?> failed = CompletableFuture.completedFuture(null);
      if (failJob && !jobId.isEmpty()) {
        jobs.markFailed(jobId, reason);
        failed = kafka.jobFailed(jobId, source, reason);
      }
      return CompletableFuture.allOf(dl, failed).thenApply(v -> Done.getInstance());
    }
  }

  /** The stream of a node that can no longer process its records (see {@link #isNodeGone}). */
  public static final class NodeGoneException extends RuntimeException {
    NodeGoneException(Throwable cause) {
      super("this node can no longer process the record: " + describe(cause), cause);
    }
  }

  /**
   * True when the local recipient of the work is gone for good: an ask to this node's shard region
   * after the region stopped (the node was downed by the split-brain resolver, or is shutting
   * down). Retrying here cannot help, and dead-lettering would fail the job for what is the node's
   * end, not the record's: a SIGSTOPped node that wakes up downed drains with its region already
   * stopped.
   */
  public static boolean isNodeGone(Throwable cause) {
    // Pekko's AskTimeoutException, classic or typed: a TimeoutException with this message.
    return cause instanceof java.util.concurrent.TimeoutException
        && cause.getMessage() != null
        && cause.getMessage().contains("had already been terminated");
  }

  /**
   * True for failures of the infrastructure rather than of the work: timeouts (an entity whose
   * shard is moving) and Kafka's retriable errors.
   */
  public static boolean isInfrastructure(Throwable cause) {
    return cause instanceof java.util.concurrent.TimeoutException
        || cause instanceof org.apache.kafka.common.errors.RetriableException;
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
