package dev.actorfarm.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.SegmentRendered;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.FarmSettings;
import dev.actorfarm.runtime.TestBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoleStreamTest {

  @TempDir Path dir;

  /**
   * A SIGSTOPped motion/mux node that wakes up downed drains its consumers with its shard region
   * already stopped (seen in the chaos soak): its asks fail at once with "had already been
   * terminated". That record must stay uncommitted for the partition's next owner, not be retried
   * into a dead letter that fails the job.
   */
  @Test
  void aRecordWhoseLocalShardRegionIsGoneFailsTheStreamUncommittedWithoutADeadLetter()
      throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try (TestBroker broker = new TestBroker(dir)) {
      // Given a handler that asks a stopped actor, as a drained node asks its stopped region
      ActorRef<String> region = kit.spawn(Behaviors.<String>stopped());
      kit.createTestProbe().expectTerminated(region);
      RoleStream.Intake<SegmentRendered> intake =
          new RoleStream.Intake<>(
              broker.kafka(),
              new FarmSettings.Retry(3, 3, Duration.ofMillis(10), Duration.ofMillis(20)),
              broker.jobs(),
              Topics.SEGMENTS,
              "mux@test",
              s -> s.getHeader().getJobId(),
              (segment, record) ->
                  AskPattern.<String, Done>ask(
                      region, replyTo -> "window", Duration.ofSeconds(5), kit.scheduler()));
      SegmentRendered segment =
          SegmentRendered.newBuilder()
              .setHeader(Headers.create("SegmentRendered", "job-gone", "test", null))
              .setWindowIndex(3)
              .build();
      ConsumerRecord<String, byte[]> record =
          new ConsumerRecord<>(Topics.SEGMENTS.name(), 0, 700, "job-gone", segment.toByteArray());
      // When the record is processed, then it fails as the node's end, at once
      long started = System.nanoTime();
      assertThatThrownBy(
              () -> intake.process(record).toCompletableFuture().get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(RoleStream.NodeGoneException.class)
          .hasMessageContaining("had already been terminated");
      assertThat((System.nanoTime() - started) / 1e9).isLessThan(5);
      // and neither a dead letter nor a failure of the job was published
      assertThat(broker.readAll(Topics.DEAD_LETTERS)).isEmpty();
      assertThat(broker.readAll(Topics.JOB_EVENTS))
          .extracting(e -> e.getValue().getState())
          .doesNotContain(JobState.FAILED);
      assertThat(broker.jobs().get("job-gone")).isEmpty();
    } finally {
      kit.shutdownTestKit();
    }
  }
}
