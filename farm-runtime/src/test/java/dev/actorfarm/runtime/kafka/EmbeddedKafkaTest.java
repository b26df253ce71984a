package dev.actorfarm.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.actorfarm.protocol.Headers;
import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.protocol.Topics;
import dev.actorfarm.runtime.TestBroker;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

  @TempDir Path dir;

  @Test
  void brokerKeepsTopicsAndRecordsAcrossRestarts() throws Exception {
    // Given a broker that received an event
    try (TestBroker broker = new TestBroker(dir)) {
      broker
          .kafka()
          .send(
              Topics.JOB_EVENTS,
              "job-a",
              JobEvent.newBuilder()
                  .setHeader(Headers.create("JobEvent", "job-a", "test", null))
                  .setState(JobState.SUBMITTED)
                  .build())
          .get();
    }
    // When it is restarted on the same log directory
    try (TestBroker broker = new TestBroker(dir)) {
      // Then the topic and the record are still there
      var events = broker.readAll(Topics.JOB_EVENTS);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).getKey()).isEqualTo("job-a");
      assertThat(events.get(0).getValue().getState()).isEqualTo(JobState.SUBMITTED);
    }
  }
}
