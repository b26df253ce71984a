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

  @Test
  void threeNodesReplicateEveryPartitionThriceAndAcceptWritesWithOneDown() throws Exception {
    // Given a quorum of three combined brokers and controllers started together
    var ports = new java.util.TreeMap<Integer, Integer>();
    for (int id = 1; id <= 3; id++) {
      try (var s = new java.net.ServerSocket(0)) {
        ports.put(id, s.getLocalPort());
      }
    }
    String voters =
        ports.entrySet().stream()
            .map(e -> e.getKey() + "@127.0.0.1:" + e.getValue())
            .collect(java.util.stream.Collectors.joining(","));
    var starts = new java.util.ArrayList<java.util.concurrent.CompletableFuture<EmbeddedKafka>>();
    for (int id = 1; id <= 3; id++) {
      EmbeddedKafka.Quorum q = EmbeddedKafka.Quorum.parse(id, voters);
      Path log = dir.resolve("b" + id);
      starts.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return EmbeddedKafka.start(log, 0, q);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              }));
    }
    var brokers = starts.stream().map(java.util.concurrent.CompletableFuture::join).toList();
    try {
      String bootstrap =
          brokers.stream()
              .map(EmbeddedKafka::bootstrapServers)
              .collect(java.util.stream.Collectors.joining(","));
      assertThat(FarmKafka.awaitBrokers(bootstrap, 3, java.time.Duration.ofMinutes(1))).isTrue();
      // When the farm's topics are created
      var settings =
          dev.actorfarm.runtime.FarmSettings.create(
              dev.actorfarm.runtime.FarmConfig.load(
                  java.util.Map.of("actorfarm.data-dir", dir.resolve("farm").toString())));
      FarmKafka.ensureTopics(bootstrap, settings, 3);
      // Then every partition has three replicas and a write needs two
      try (var admin =
          org.apache.kafka.clients.admin.Admin.create(
              java.util.Map.of("bootstrap.servers", bootstrap))) {
        org.apache.kafka.clients.admin.TopicDescription topic = null;
        for (int i = 0; topic == null; i++) {
          try {
            topic =
                admin
                    .describeTopics(java.util.List.of(Topics.SEGMENTS.name()))
                    .allTopicNames()
                    .get()
                    .get(Topics.SEGMENTS.name());
          } catch (java.util.concurrent.ExecutionException e) {
            // a broker this client asked may not have the new topic's metadata yet
            if (i > 100) {
              throw e;
            }
            Thread.sleep(100);
          }
        }
        assertThat(topic.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
        var resource =
            new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.SEGMENTS.name());
        assertThat(
                admin
                    .describeConfigs(java.util.List.of(resource))
                    .all()
                    .get()
                    .get(resource)
                    .get("min.insync.replicas")
                    .value())
            .isEqualTo("2");
      }
      // and with one broker stopped, an acks=all write still succeeds
      brokers.get(2).close();
      try (FarmKafka kafka = new FarmKafka(bootstrap)) {
        kafka
            .send(
                Topics.JOB_EVENTS,
                "job-q",
                JobEvent.newBuilder()
                    .setHeader(Headers.create("JobEvent", "job-q", "test", null))
                    .setState(JobState.SUBMITTED)
                    .build())
            .get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      // together: a node stopping alone after the others would wait for a quorum that is gone
      brokers.parallelStream().forEach(EmbeddedKafka::close);
    }
  }

  @Test
  void aQuorumSpecThatDoesNotNameThisNodeOrIsMalformedIsRefusedWithItsReason() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> EmbeddedKafka.Quorum.parse(4, "1@127.0.0.1:1,2@127.0.0.1:2"))
        .hasMessage("node 4 is not among the voters [1, 2]");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> EmbeddedKafka.Quorum.parse(1, "1@localhost"))
        .hasMessage("a voter is id@host:port (id@127.0.0.1:19091), got '1@localhost'");
    // A voter on a host of its own (a farm spread over network namespaces) names it.
    EmbeddedKafka.Quorum q = EmbeddedKafka.Quorum.parse(2, "1@10.77.0.10:9001,2@10.77.0.11:9002");
    assertThat(q.host(2)).isEqualTo("10.77.0.11");
    assertThat(q.voters()).isEqualTo("1@10.77.0.10:9001,2@10.77.0.11:9002");
    assertThat(q.clusterId())
        .as("the id of a cluster depends on its voters' ids and ports only")
        .isEqualTo(EmbeddedKafka.Quorum.parse(2, "1@127.0.0.1:9001,2@127.0.0.1:9002").clusterId());
  }
}
