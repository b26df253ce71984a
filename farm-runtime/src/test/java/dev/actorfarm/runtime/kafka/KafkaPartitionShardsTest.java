package dev.actorfarm.runtime.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class KafkaPartitionShardsTest {

  @Test
  void shardOfAJobIsTheKafkaPartitionOfItsKey() {
    for (String jobId : List.of("job-1", "job-2fa9854ffc36f347", "a", "studio/x")) {
      int kafka = BuiltInPartitioner.partitionForKey(jobId.getBytes(StandardCharsets.UTF_8), 8);
      assertThat(FarmKafka.partitionOf(jobId, 8)).isEqualTo(kafka);
      assertThat(KafkaPartitionShards.<String>extractor(8).shardId(jobId))
          .isEqualTo(String.valueOf(kafka));
    }
  }
}
