package dev.actorfarm.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.actorfarm.protocol.JobEvent;
import dev.actorfarm.protocol.JobState;
import dev.actorfarm.runtime.DecodedVideo;
import dev.actorfarm.runtime.FarmConfig;
import dev.actorfarm.runtime.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The farm against a broker that only talks SASL to clients: with {@code actorfarm.kafka.client}
 * set (security protocol, mechanism, JAAS line), every client of the farm (the producers, the Pekko
 * consumers of each role, the job-state follower, the checkpoint and plan readers, the admin
 * clients) authenticates, and the reference job renders with the reference frames. Without them, or
 * with a wrong password, nothing connects. TLS is the same client settings with other keys
 * (cluster-config's kubernetes profile); a certificate authority is not built here.
 */
class KafkaSecurityTest {

  @TempDir Path dir;

  /** The client settings are process-wide: later tests in this JVM talk PLAINTEXT again. */
  @org.junit.jupiter.api.AfterEach
  void plainClientsAgain() {
    dev.actorfarm.runtime.kafka.KafkaClients.configure(FarmConfig.load());
  }

  static String jaas(String user, String password) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  @Test
  void everyClientOfTheFarmAuthenticatesWithTheConfiguredSaslSettings() throws Exception {
    try (EmbeddedKafka broker =
        EmbeddedKafka.start(dir.resolve("broker"), 0, Map.of("farm", "farm-secret"))) {
      String bootstrap = broker.bootstrapServers();
      // Without credentials, and with a wrong password, the broker lets nothing in. A plaintext
      // client gets no answer but a closed connection (the broker wants a SASL handshake), so it
      // times out, while the same call with the right credentials, made just after, is answered:
      // the timeout is the missing credentials', not a broker that is not up yet.
      assertThatThrownBy(() -> clusterId(bootstrap, Map.of()))
          .hasRootCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
      assertThat(
              clusterId(
                  bootstrap,
                  Map.of(
                      "security.protocol", "SASL_PLAINTEXT",
                      "sasl.mechanism", "PLAIN",
                      "sasl.jaas.config", jaas("farm", "farm-secret"))))
          .isNotBlank();
      assertThatThrownBy(
              () ->
                  clusterId(
                      bootstrap,
                      Map.of(
                          "security.protocol", "SASL_PLAINTEXT",
                          "sasl.mechanism", "PLAIN",
                          "sasl.jaas.config", jaas("farm", "wrong"))))
          .hasStackTraceContaining("Authentication failed");

      Map<String, Object> o = ReferenceRender.farmSettings(dir, bootstrap, "sasl");
      o.put("actorfarm.kafka.client.security.protocol", "SASL_PLAINTEXT");
      o.put("actorfarm.kafka.client.sasl.mechanism", "PLAIN");
      o.put("actorfarm.kafka.client.sasl.jaas.config", jaas("farm", "farm-secret"));
      EmbeddedFarm farm = EmbeddedFarm.start(FarmConfig.load(o));
      try {
        JobClient client = new JobClient(farm.kafka(), farm.blobs(), "cli@sasl");
        JobClient.Prepared job = client.prepare(ReferenceRender.request(), "job-sasl");
        JobEvent last;
        try (JobClient.Follower follower = client.submit(job)) {
          last = follower.follow(e -> {}, Duration.ofMinutes(3));
        }
        assertThat(last.getState()).as(last.getReason()).isEqualTo(JobState.COMPLETED);
        DecodedVideo out = DecodedVideo.decode(farm.blobs().resolve(last.getOutput().getUri()));
        assertThat(out.hashes()).isEqualTo(ReferenceRender.get().video().hashes());
        System.out.println(
            "Kafka security: the reference job rendered over SASL_PLAINTEXT/PLAIN, frames equal");
      } finally {
        farm.close();
      }
    }
  }

  private static String clusterId(String bootstrap, Map<String, Object> security) throws Exception {
    Map<String, Object> conf = new HashMap<>(security);
    conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
    conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    try (Admin admin = Admin.create(conf)) {
      return admin.describeCluster().clusterId().get(6, TimeUnit.SECONDS);
    }
  }
}
