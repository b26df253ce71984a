package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.BlobRef;
import dev.actorfarm.protocol.DeadLetter;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobSpec;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.MotionWindow;
import dev.actorfarm.protocol.Topic;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.TestBroker;
import dev.actorfarm.runtime.blob.BlobStore;
import dev.actorfarm.runtime.kafka.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into a running farm (one node with every role, on a real broker): duplicated
 * records, malformed records on every input topic, and a cancel in the middle of a job. The farm is
 * slowed down (a simulated motion model of 300 ms a window and 10 ms a rendered frame) so that the
 * faults land while the job runs.
 */
class FarmFaultsTest {

  @TempDir static Path dir;
  static TestBroker broker;
  static EmbeddedFarm farm;
  static KafkaProducer<String, byte[]> raw;

  @BeforeAll
  static void startFarm() throws Exception {
    broker = new TestBroker(dir.resolve("broker"));
    Map<String, Object> overrides =
        ReferenceRender.farmSettings(dir, broker.kafka().bootstrapServers(), "faults");
    overrides.put("actorfarm.blob-store.root", dir.resolve("blobs").toString());
    overrides.put("actorfarm.motion.simulated-latency", "300ms");
    overrides.put("actorfarm.render.simulated-latency-per-frame", "10ms");
    farm = EmbeddedFarm.start(FarmConfig.load(overrides));
    raw =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafka().bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  @AfterAll
  static void stopFarm() {
    if (raw != null) {
      raw.close();
    }
    if (farm != null) {
      farm.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static JobClient client() {
    return new JobClient(broker.kafka(), farm.blobs(), "cli@faults");
  }

  /** The reference job (same inputs and options as {@link ReferenceRender}), under its own id. */
  private static JobClient.Prepared referenceJob(String jobId) throws Exception {
    return client().prepare(ReferenceRender.request(), jobId);
  }

  private static DecodedVideo output(JobEvent completed) throws Exception {
    assertThat(completed.getState()).as(completed.getReason()).isEqualTo(JobState.COMPLETED);
    return DecodedVideo.decode(farm.blobs().resolve(completed.getOutput().getUri()));
  }

  @Test
  void duplicatedMotionWindowsAndSegmentReportsLeaveTheOutputUnchanged() throws Exception {
    DecodedVideo reference = ReferenceRender.get().video();
    JobClient.Prepared job = referenceJob("job-duplicates");
    String jobId = job.jobId();
    // Every motion window and every segment report of the job is published a second time as soon
    // as it appears, and once more after the job completed.
    List<ConsumerRecord<String, byte[]>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.Set<String> copied = ConcurrentHashMap.newKeySet();
    AtomicInteger copies = new AtomicInteger();
    try (Duplicator dup =
        new Duplicator(
            List.of(Topics.MOTION_WINDOWS.name(), Topics.SEGMENTS.name()),
            jobId,
            r -> {
              // Each distinct record once: the copies themselves come back through here.
              if (!copied.add(
                  r.topic() + "|" + r.key() + "|" + java.util.Arrays.hashCode(r.value()))) {
                return;
              }
              seen.add(r);
              raw.send(new ProducerRecord<>(r.topic(), r.key(), r.value()));
              copies.incrementAndGet();
            })) {
      JobClient.Follower follower = client().submit(job);
      List<JobEvent> events = new ArrayList<>();
      JobEvent last = follower.follow(events::add, Duration.ofMinutes(3));
      follower.close();
      DecodedVideo video = output(last);
      assertThat(video.hashes()).isEqualTo(reference.hashes());
      // and the late copies (after completion) change nothing either
      byte[] outputBefore = Files.readAllBytes(farm.blobs().resolve(last.getOutput().getUri()));
      dup.pause();
      for (ConsumerRecord<String, byte[]> r : List.copyOf(seen)) {
        raw.send(new ProducerRecord<>(r.topic(), r.key(), r.value()));
      }
      raw.flush();
      Thread.sleep(3000);
      assertThat(Files.readAllBytes(farm.blobs().resolve(last.getOutput().getUri())))
          .isEqualTo(outputBefore);
      int windows = (reference.frames().size() + 49) / 50;
      assertThat(copies.get()).as("records duplicated").isGreaterThanOrEqualTo(2 * windows);
      // Progress never counted a duplicate: frames done never exceeds the total.
      List<JobEvent> all =
          broker.readAll(Topics.JOB_EVENTS).stream()
              .filter(e -> jobId.equals(e.getKey()))
              .map(Map.Entry::getValue)
              .toList();
      assertThat(all).allMatch(e -> e.getFramesDone() <= reference.frames().size());
      assertThat(all.stream().filter(e -> e.getState() == JobState.COMPLETED)).hasSize(1);
      assertThat(all).noneMatch(e -> e.getState() == JobState.FAILED);
      System.out.printf(
          "Duplicates: %d records re-published during the job and %d after it; output unchanged%n",
          copies.get(), seen.size());
    }
  }

  @Test
  void malformedRecordsOnEveryInputTopicAreDeadLetteredAndAConcurrentJobIsUnaffected()
      throws Exception {
    DecodedVideo reference = ReferenceRender.get().video();
    JobClient.Prepared job = referenceJob("job-beside-bad-records");
    JobClient.Follower follower = client().submit(job);
    // Once the job renders, each input topic gets a record that does not decode, and the render
    // topic also a well-formed window that cannot be rendered (its portrait does not exist).
    follower.awaitState(JobState.RENDERING, Duration.ofMinutes(1));
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    List<String> inputs =
        List.of(
            Topics.JOBS.name(),
            Topics.JOB_PLANS.name(),
            Topics.AUDIO_FEATURES.name(),
            Topics.MOTION_WINDOWS.name(),
            Topics.SEGMENTS.name());
    for (String topic : inputs) {
      String badJob = "job-garbage-" + topic.replace('.', '-');
      String key = topic.equals(Topics.MOTION_WINDOWS.name()) ? badJob + "/0" : badJob;
      raw.send(new ProducerRecord<>(topic, key, garbage)).get();
    }
    JobSpec unrenderable =
        job.spec().toBuilder()
            .setJobId("job-unrenderable")
            .setPortrait(
                BlobRef.newBuilder().setUri(BlobStore.SCHEME + "inputs/portraits/missing.png"))
            .build();
    MotionWindow window =
        MotionWindow.newBuilder()
            .setSpec(unrenderable)
            .setWindowIndex(0)
            .setFirstFrame(0)
            .setFrameCount(1)
            .build();
    raw.send(
            new ProducerRecord<>(
                Topics.MOTION_WINDOWS.name(),
                Topic.windowKey("job-unrenderable", 0),
                window.toByteArray()))
        .get();
    JobEvent last = follower.follow(e -> {}, Duration.ofMinutes(3));
    follower.close();
    // Then the job completes with the frames it would have had anyway
    assertThat(output(last).hashes()).isEqualTo(reference.hashes());
    // and every bad record is in farm.dead-letters with its topic and the reason
    Map<String, DeadLetter> letters = new ConcurrentHashMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (letters.size() < inputs.size() + 1 && System.nanoTime() < deadline) {
      for (var e : broker.readAll(Topics.DEAD_LETTERS)) {
        DeadLetter dl = e.getValue();
        letters.put(dl.getHeader().getJobId(), dl);
      }
      Thread.sleep(200);
    }
    for (String topic : inputs) {
      DeadLetter dl = letters.get("job-garbage-" + topic.replace('.', '-'));
      assertThat(dl).as("dead letter of the record on " + topic).isNotNull();
      assertThat(dl.getTopic()).isEqualTo(topic);
      assertThat(dl.getReason()).contains("undecodable " + topic + " record");
      assertThat(dl.getValue().toByteArray()).isEqualTo(garbage);
    }
    DeadLetter unrendered = letters.get("job-unrenderable");
    assertThat(unrendered).as("dead letter of the unrenderable window").isNotNull();
    assertThat(unrendered.getTopic()).isEqualTo(Topics.MOTION_WINDOWS.name());
    assertThat(unrendered.getReason()).contains("missing.png");
    // and the jobs the bad records named are failed with that reason
    assertThat(farm.jobs().get("job-unrenderable").orElseThrow().state())
        .isEqualTo(JobState.FAILED);
    assertThat(letters.get("job-beside-bad-records")).isNull();
    letters.values().stream()
        .filter(dl -> !dl.getHeader().getJobId().startsWith("job-duplicates"))
        .forEach(
            dl -> System.out.printf("Dead letter from %s: %s%n", dl.getTopic(), dl.getReason()));
  }

  @Test
  void cancelMidJobStopsEveryRoleWithinSecondsAndRemovesTheJobsFiles() throws Exception {
    JobClient.Prepared job = referenceJob("job-cancelled");
    String jobId = job.jobId();
    JobClient.Follower follower = client().submit(job);
    // When the job is cancelled once its first segment is rendered
    follower.awaitState(JobState.RENDERING, Duration.ofMinutes(1));
    long cancelledAt = System.currentTimeMillis();
    client().cancel(jobId, "cancelled by the test");
    JobEvent last = follower.follow(e -> {}, Duration.ofSeconds(30));
    follower.close();
    assertThat(last.getState()).isEqualTo(JobState.CANCELLED);
    // and the farm is given time in which a role that ignored the cancel would go on
    Thread.sleep(6000);
    // Then no role produced anything for the job more than a few seconds after the cancel
    String bootstrap = broker.kafka().bootstrapServers();
    Map<String, Long> lastRecord = new HashMap<>();
    Map<String, Integer> count = new HashMap<>();
    for (Topic<?> t : List.of(Topics.AUDIO_FEATURES, Topics.MOTION_WINDOWS, Topics.SEGMENTS)) {
      List<ConsumerRecord<String, byte[]>> records = records(t.name(), jobId);
      count.put(t.name(), records.size());
      lastRecord.put(
          t.name(),
          records.stream().mapToLong(ConsumerRecord::timestamp).max().orElse(cancelledAt)
              - cancelledAt);
    }
    System.out.printf(
        "Cancel: last record after the cancel (ms) %s; records per topic %s%n", lastRecord, count);
    assertThat(lastRecord.values()).allMatch(ms -> ms < 3000);
    int windows = (ReferenceRender.get().video().frames().size() + 49) / 50;
    assertThat(count.get(Topics.SEGMENTS.name()))
        .as("segments rendered before the job stopped")
        .isLessThan(windows);
    // and no output, no intermediates, no checkpoint remain
    assertThat(farm.blobs().resolve(BlobStore.SCHEME + "jobs/" + jobId)).doesNotExist();
    var checkpoints = TopicReader.readKey(bootstrap, Topics.MOTION_CHECKPOINTS.name(), jobId);
    assertThat(checkpoints).isNotEmpty();
    assertThat(checkpoints.get(checkpoints.size() - 1).value()).as("checkpoint removed").isNull();
    assertThat(
            broker.readAll(Topics.JOB_EVENTS).stream()
                .filter(e -> jobId.equals(e.getKey()))
                .map(e -> e.getValue().getState()))
        .doesNotContain(JobState.COMPLETED);
  }

  /** Every record of {@code topic} so far whose key is the job's. */
  private static List<ConsumerRecord<String, byte[]>> records(String topic, String jobId) {
    try (KafkaConsumer<String, byte[]> c =
        TopicReader.consumer(broker.kafka().bootstrapServers())) {
      List<TopicPartition> tps =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      return TopicReader.read(
          c, tps, k -> k != null && (k.equals(jobId) || k.startsWith(jobId + "/")));
    }
  }

  /** Passes each new record of the job on {@code topics} to {@code onRecord}, on its own thread. */
  private static final class Duplicator implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean paused = new AtomicBoolean(false);
    private final Thread thread;

    Duplicator(
        List<String> topics,
        String jobId,
        java.util.function.Consumer<ConsumerRecord<String, byte[]>> onRecord) {
      KafkaConsumer<String, byte[]> c = TopicReader.consumer(broker.kafka().bootstrapServers());
      List<TopicPartition> tps = new ArrayList<>();
      for (String t : topics) {
        c.partitionsFor(t).forEach(p -> tps.add(new TopicPartition(t, p.partition())));
      }
      c.assign(tps);
      c.seekToEnd(tps);
      tps.forEach(c::position);
      thread =
          new Thread(
              () -> {
                try (c) {
                  while (running.get()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                      if (!paused.get() && r.key() != null && r.key().startsWith(jobId)) {
                        onRecord.accept(r);
                      }
                    }
                  }
                }
              },
              "duplicator");
      thread.start();
    }

    void pause() {
      paused.set(true);
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
